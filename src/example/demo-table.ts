/** Effects of one demo request, expected or observed. */
export interface DemoOutcome {
  /** HTTP status, followed by the `outcome` of a 200 response: `200 processed`, `200 duplicate`, `401`. */
  response: string;
  /** Handler calls that this request caused. */
  handlerCalls: number;
  /** `status, attempts` of the row in vmeg_webhook_deliveries, or `none`. */
  deliveryRow: string;
  /** `status` of the row in example_media_assets, or `none`. */
  assetRow: string;
}

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

  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const formatRow = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');

  return [formatRow(COLUMNS), rule, ...rows.map(formatRow)].join('\n');
}

function compare(actual: string | number, expected: string | number): string {
  return actual === expected ? String(actual) : `${actual} (expected ${expected})`;
}
