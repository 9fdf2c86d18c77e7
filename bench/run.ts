/**
 * Runs the benchmark scenarios and prints each ratio against its baseline.
 *
 *   npm run bench                        every scenario, 3 runs each (8 minutes on the 2-core machine)
 *   npm run bench -- --quick             one short run each (about 60 s there)
 *   npm run bench -- growth duplicates   only the named scenarios
 *   npm run bench -- --runs 5            more runs per measurement
 *   npm run bench -- --durable           keep synchronous_commit on
 *
 * Apps and load generators run in child processes on 127.0.0.1. PostgreSQL
 * is DATABASE_URL when set, else an embedded PostgreSQL 18 that this run
 * starts and stops; every scenario creates its own databases on it. Those
 * databases set synchronous_commit off unless --durable is given, because
 * the WAL flush time of a shared virtual disk varies far more between runs
 * than the work of the code under test.
 */
import * as os from 'node:os';
import { acknowledgement } from './scenarios/acknowledgement';
import { duplicates } from './scenarios/duplicates';
import { growth } from './scenarios/growth';
import { memory } from './scenarios/memory';
import { postgresCeiling } from './scenarios/postgres-ceiling';
import { queuedDrain } from './scenarios/queued-drain';
import { verification } from './scenarios/verification';
import { openBenchDatabase, runSql } from './support/bench-database';
import { stopLoadGenerator } from './support/load';
import { formatRatio, type Ratio, type Scenario, type ScenarioContext } from './support/report';

const SCENARIOS: Scenario[] = [acknowledgement, postgresCeiling, duplicates, growth, queuedDrain, verification, memory];

interface RunOptions {
  quick: boolean;
  durable: boolean;
  runs: number;
  names: string[];
}

/** An invalid command line; printed without a stack trace. */
class UsageError extends Error {}

const USAGE = `Usage: npm run bench -- [--quick] [--durable] [--runs N] [scenario ...]

  --quick      one 1 s run per measurement (about a minute in all)
  --durable    keep synchronous_commit on in the bench databases
  --runs N     runs per measurement, 3 by default; figures are their medians
  scenario     run only these: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}

PostgreSQL is DATABASE_URL when set, else an embedded server started for the run.`;

function parseArguments(argv: string[]): RunOptions | 'help' {
  const options: RunOptions = { quick: false, durable: false, runs: 3, names: [] };
  let runsGiven = false;

  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--help' || argument === '-h') {
      return 'help';
    } else if (argument === '--quick') {
      options.quick = true;
    } else if (argument === '--durable') {
      options.durable = true;
    } else if (argument === '--runs') {
      options.runs = Number(argv[++index]);
      runsGiven = true;
      if (!Number.isSafeInteger(options.runs) || options.runs < 1) {
        throw new UsageError(`--runs expects a whole number of 1 or more, got ${JSON.stringify(argv[index])}`);
      }
    } else if (SCENARIOS.some((scenario) => scenario.name === argument)) {
      options.names.push(argument);
    } else {
      const known = SCENARIOS.map((scenario) => scenario.name).join(', ');
      throw new UsageError(`unknown argument ${JSON.stringify(argument)}; expected --quick, --durable, --runs N or scenario names (${known}); see --help`);
    }
  }
  if (options.quick && !runsGiven) {
    options.runs = 1;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const selected = options.names.length > 0 ? SCENARIOS.filter((scenario) => options.names.includes(scenario.name)) : SCENARIOS;
  const started = Date.now();

  const database = await openBenchDatabase({ durable: options.durable });
  const ratios: Ratio[] = [];
  try {
    const [{ server_version: version }] = await runSql<{ server_version: string }>(database.server.url, 'SHOW server_version');
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(`Machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node.js ${process.version}`);
    console.log(`PostgreSQL ${version} (${database.server.external ? 'DATABASE_URL' : 'embedded, started for this run'}), synchronous_commit ${options.durable ? 'on' : 'off'}`);
    console.log(`Mode: ${options.quick ? 'quick' : 'full'}, ${options.runs} run(s) per measurement; figures are medians\n`);

    const context: ScenarioContext = {
      database,
      quick: options.quick,
      runs: options.runs,
      durationSeconds: options.quick ? 1 : 5,
      connections: 10,
      log: (line) => console.log(line),
      ratio: (ratio) => {
        ratios.push(ratio);
        console.log(formatRatio(ratio));
      },
    };

    for (const scenario of selected) {
      const scenarioStarted = Date.now();
      console.log(`== ${scenario.name}: ${scenario.title}`);
      await scenario.run(context);
      console.log(`   (${((Date.now() - scenarioStarted) / 1000).toFixed(0)} s)\n`);
    }
  } finally {
    await stopLoadGenerator();
    await database.close();
  }

  console.log('Summary');
  for (const ratio of ratios) {
    console.log(formatRatio(ratio));
  }
  console.log(`Total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  // A usage error needs its message, not a stack trace.
  console.error(error instanceof UsageError ? `error: ${error.message}` : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
