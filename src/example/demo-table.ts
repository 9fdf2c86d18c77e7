/** Effects of one demo request, expected or observed. */
export interface DemoOutcome {
  /** HTTP status, followed by the `outcome` of a 200 response: `200 queued`, `200 duplicate`, `401`. */
  response: string;
  /** Calls of DubbingService handlers that this request caused. */
  handlerCalls: number;
  /** `status, attempts` of the row in vmeg_webhook_deliveries, or `none`. */
  deliveryRow: string;
  /** `status` of the row in example_media_assets, or `none`. */
  assetRow: string;
}

/** Result of one request of the first table. */
export interface DemoResult {
  name: string;
  expected: DemoOutcome;
  actual: DemoOutcome;
}

const COLUMNS = ['case', 'expected', 'actual', 'handler calls', 'delivery row', 'asset row', 'check'];

/** Checks whether every field of `actual` equals the one in `expected`. */
export function matchesExpected(result: DemoResult): boolean {
  const { expected, actual } = result;
  return (
    actual.response === expected.response &&
    actual.handlerCalls === expected.handlerCalls &&
    actual.deliveryRow === expected.deliveryRow &&
    actual.assetRow === expected.assetRow
  );
}

/**
 * Formats the results as a text table. A field that differs from the
 * expected value is shown as `actual (expected X)`.
 */
export function formatResultTable(results: DemoResult[]): string {
  const rows = results.map((result) => {
    const { expected, actual } = result;
    return [
      result.name,
      expected.response,
      actual.response,
      compare(actual.handlerCalls, expected.handlerCalls),
      compare(actual.deliveryRow, expected.deliveryRow),
      compare(actual.assetRow, expected.assetRow),
      matchesExpected(result) ? 'ok' : 'MISMATCH',
    ];
  });

  return formatTable(COLUMNS, rows);
}

/** One step of a queued-mode case, compared with its expected value. */
export interface DemoCheck {
  name: string;
  expected: string;
  actual: string;
  passed: boolean;
}

const CHECK_COLUMNS = ['case', 'expected', 'actual', 'check'];

/** Builds a check that passes when `actual` equals `expected`. */
export function equalityCheck(name: string, expected: string | number | boolean, actual: string | number | boolean): DemoCheck {
  return { name, expected: String(expected), actual: String(actual), passed: actual === expected };
}

/** Formats checks as a text table with one row per check. */
export function formatCheckTable(checks: DemoCheck[]): string {
  const rows = checks.map((check) => [check.name, check.expected, check.actual, check.passed ? 'ok' : 'MISMATCH']);
  return formatTable(CHECK_COLUMNS, rows);
}

/** Pads every column to its widest cell and puts a rule under the titles. */
function formatTable(titles: string[], rows: string[][]): string {
  const widths = titles.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const formatRow = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');

  return [formatRow(titles), rule, ...rows.map(formatRow)].join('\n');
}

function compare(actual: string | number, expected: string | number): string {
  return actual === expected ? String(actual) : `${actual} (expected ${expected})`;
}
