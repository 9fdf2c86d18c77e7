/**
 * Scenario 5: how fast the worker drains the inbox through a no-op handler,
 * with one and with two app instances on one database, and the time from
 * the 200 response to the handler start (bench/queued-latency.ts).
 */
import { Client } from 'pg';
import { QUEUE_CHANNEL } from '../../src/lib/store/queue.statements';
import { buildTtsPayload } from '../../src/testing';
import { measureAckToStart } from '../queued-latency';
import { type BenchApp, startBenchApps, stopBenchApps } from '../support/app-process';
import { quantile } from '../support/bench-database';
import { median, type Scenario, type ScenarioContext } from '../support/report';

const DRAIN_TIMEOUT_MS = 180_000;
const POLL_MS = 25;

/** Queues `$2` deliveries in one statement; the NOTIFY wakes the workers when it commits. */
const FILL_INBOX = `
  WITH inserted AS (
    INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at, next_attempt_at)
    SELECT md5(random()::text || clock_timestamp()::text || n), 'openapi-tts', NULL, 200, $1::jsonb, 'pending', 0, now(), now()
    FROM generate_series(1, $2::int) AS n
    RETURNING 1
  )
  SELECT count(*)::int AS count, pg_notify('${QUEUE_CHANNEL}', '') FROM inserted`;

const COUNT_UNFINISHED = `SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE status IN ('pending', 'processing')`;

interface Setup {
  label: string;
  databaseUrl: string;
  apps: BenchApp[];
}

/** Fills the inbox with `deliveries` rows and returns deliveries per second until none is unfinished. */
async function drainOnce(setup: Setup, deliveries: number): Promise<number> {
  const client = new Client({ connectionString: setup.databaseUrl });
  await client.connect();
  try {
    const payload = JSON.stringify(buildTtsPayload());
    await client.query(FILL_INBOX, [payload, deliveries]);
    const started = performance.now();
    const deadline = started + DRAIN_TIMEOUT_MS;

    while (performance.now() < deadline) {
      const { rows } = await client.query<{ count: number }>(COUNT_UNFINISHED);
      if (rows[0].count === 0) {
        return deliveries / ((performance.now() - started) / 1000);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`${setup.label}: the inbox did not drain within ${DRAIN_TIMEOUT_MS} ms`);
  } finally {
    await client.end();
  }
}

async function measureDrain(context: ScenarioContext): Promise<void> {
  const deliveries = context.quick ? 500 : 3000;
  const setups: Setup[] = [];
  try {
    const one = await context.database.create();
    const two = await context.database.create();
    const apps = await startBenchApps([one, two, two].map((databaseUrl) => ({ adapter: 'express', variant: 'queued-worker', databaseUrl })));
    setups.push({ label: 'one instance', databaseUrl: one, apps: apps.slice(0, 1) });
    setups.push({ label: 'two instances', databaseUrl: two, apps: apps.slice(1) });

    // A short drain first, so that the measured ones find compiled code and open connections.
    for (const setup of setups) {
      await drainOnce(setup, Math.min(200, deliveries));
    }

    const rates = new Map<string, number[]>(setups.map((setup) => [setup.label, []]));
    for (let round = 0; round < context.runs; round += 1) {
      for (let offset = 0; offset < setups.length; offset += 1) {
        const setup = setups[(round + offset) % setups.length];
        const rate = await drainOnce(setup, deliveries);
        rates.get(setup.label)?.push(rate);
        context.log(`  round ${round + 1} ${setup.label.padEnd(14)} ${Math.round(rate)} deliveries/s`);
      }
    }

    const oneRates = rates.get('one instance') ?? [];
    const twoRates = rates.get('two instances') ?? [];
    context.log(
      `  ${deliveries} queued deliveries, worker defaults (concurrency 4, LISTEN on), no-op handler:` +
        ` one instance ${Math.round(median(oneRates))}/s, two instances ${Math.round(median(twoRates))}/s`,
    );
    context.ratio({
      scenario: 'queued-drain',
      name: 'two instances / one instance drain rate',
      value: median(twoRates.map((rate, round) => rate / oneRates[round])),
    });
  } finally {
    await stopBenchApps(setups.flatMap((setup) => setup.apps));
  }
}

async function measureLatency(context: ScenarioContext): Promise<void> {
  const deliveries = context.quick ? 50 : 200;
  const modes = context.quick ? [true] : [true, false];
  for (const listen of modes) {
    const latencies = await measureAckToStart(await context.database.create(), listen, deliveries);
    context.log(
      `  200 response to handler start, ${listen ? 'LISTEN/NOTIFY' : 'polling only (1000 ms)'}, ${deliveries} deliveries one at a time:` +
        ` median ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
    );
  }
}

export const queuedDrain: Scenario = {
  name: 'queued-drain',
  title: 'Inbox drain rate with one and two instances, and time from 200 to handler start',
  async run(context) {
    await measureDrain(context);
    await measureLatency(context);
  },
};
