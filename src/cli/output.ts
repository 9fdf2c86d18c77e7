/**
 * Output of the command-line tool: aligned tables and key-value blocks for
 * people, JSON for scripts. Results go to stdout. Progress lines and errors
 * go to stderr, so that `--json` output stays parseable.
 */

/** Writes one line to stdout. */
export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a progress line to stderr. */
export function printProgress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Writes `value` as indented JSON; dates become ISO 8601 strings. */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value, null, 2));
}

/** Formats rows as columns separated by two spaces, with a header row. Trailing spaces are cut. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();

  return [format(headers), ...rows.map(format)];
}

/** Formats label-value pairs as two aligned columns. */
export function formatFields(fields: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd());
}

/** Formats a time as ISO 8601 in UTC to the second, or `-` for none. */
export function formatTime(value: Date | null | undefined): string {
  if (value === null || value === undefined) {
    return '-';
  }
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Shortens text to one line of at most `maxLength` characters, ending with `...` when cut. */
export function oneLine(text: string | null | undefined, maxLength: number): string {
  if (text === null || text === undefined || text === '') {
    return '-';
  }
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= maxLength ? flat : `${flat.slice(0, maxLength - 3)}...`;
}

/** Returns `count` with the singular or plural noun, such as `1 delivery` or `3 deliveries`. */
export function pluralize(count: number, singular: string, plural: string): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
