/**
 * Profiles one benchmark app under load and prints where its CPU time goes:
 * the share of each part, then the functions with the most self time.
 *
 *   node -r ts-node/register/transpile-only bench/profile.ts fastify inline
 *   node -r ts-node/register/transpile-only bench/profile.ts express hand-written --seconds 10
 *
 * Adapters: express, fastify. Variants: hand-written, queued, inline. The
 * database is DATABASE_URL when set, else an embedded PostgreSQL 18 that the
 * run starts, with synchronous_commit off as in `npm run bench`.
 */
import type { BenchAdapter, BenchAppVariant } from './support/app-protocol';
import { openBenchDatabase } from './support/bench-database';
import { stopLoadGenerator } from './support/load';
import { logProfile, profileApp } from './support/profile-app';
import type { ScenarioContext } from './support/report';

const ADAPTERS: BenchAdapter[] = ['express', 'fastify'];
const VARIANTS: BenchAppVariant[] = ['hand-written', 'queued', 'inline'];
const TOP_FUNCTIONS = 30;

function parseArguments(argv: string[]): { adapter: BenchAdapter; variant: BenchAppVariant; seconds: number } {
  const [adapter, variant, flag, value] = argv;
  if (!ADAPTERS.includes(adapter as BenchAdapter) || !VARIANTS.includes(variant as BenchAppVariant)) {
    throw new Error(`usage: bench/profile.ts <${ADAPTERS.join('|')}> <${VARIANTS.join('|')}> [--seconds N]; got ${JSON.stringify(argv.join(' '))}`);
  }
  let seconds = 5;
  if (flag !== undefined) {
    seconds = Number(value);
    if (flag !== '--seconds' || !Number.isSafeInteger(seconds) || seconds < 1) {
      throw new Error(`expected --seconds followed by a whole number of 1 or more, got ${JSON.stringify(`${flag} ${value ?? ''}`.trim())}`);
    }
  }
  return { adapter: adapter as BenchAdapter, variant: variant as BenchAppVariant, seconds };
}

async function main(): Promise<void> {
  const { adapter, variant, seconds } = parseArguments(process.argv.slice(2));
  const database = await openBenchDatabase();
  try {
    const context: ScenarioContext = {
      database,
      quick: false,
      runs: 1,
      durationSeconds: seconds,
      connections: 10,
      log: (line) => console.log(line),
      ratio: () => undefined,
    };
    const profile = await profileApp(context, adapter, variant);
    logProfile(context, `${adapter}, ${variant}`, profile);

    console.log(`  functions with the most self time (µs per delivery):`);
    const top = [...profile.split.byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS);
    for (const [name, ms] of top) {
      console.log(`    ${((ms * 1000) / profile.deliveries).toFixed(1).padStart(6)}  ${name}`);
    }
  } finally {
    await stopLoadGenerator();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
