/**
 * Prints one line of counts for a reliability test, such as
 * `RELIABILITY test/reliability/http-fuzz.spec.ts | express queued | inputs=3000 5xx=0`,
 * so that the figures of a run can be copied into docs/reliability.md.
 */
export function printSummary(file: string, test: string, counts: Record<string, number | string>): void {
  const fields = Object.entries(counts)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  process.stdout.write(`RELIABILITY ${file} | ${test} | ${fields}\n`);
}

/** Counts how often each value occurs, as `{ "200": 12, "401": 3 }`. */
export function histogram(values: readonly (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) {
    counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  }
  return counts;
}

/**
 * Returns the fast-check seed of this run: RELIABILITY_SEED when set, so
 * that a failure can be replayed, otherwise a new one.
 */
export function runSeed(): number {
  const fromEnvironment = process.env.RELIABILITY_SEED;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    const seed = Number(fromEnvironment);
    if (!Number.isSafeInteger(seed)) {
      throw new Error(`RELIABILITY_SEED must be an integer, got ${JSON.stringify(fromEnvironment)}`);
    }
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
