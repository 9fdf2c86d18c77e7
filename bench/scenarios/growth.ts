/**
 * Scenario 4: queued intake on Express with 0, 100k and 1M processed
 * deliveries already in the table, as after weeks of retention. The quick
 * mode stops at 100k.
 */
import { buildTtsPayload } from '../../src/testing';
import { startBenchApps, stopBenchApps } from '../support/app-process';
import { runSql } from '../support/bench-database';
import { measureRounds, roundRatios, warmUp } from '../support/measure';
import { median, type Scenario, type ScenarioContext } from '../support/report';

/** Inserts `rows` processed deliveries with random-looking 32-hex keys, the shape VMEG's keys have. */
const BULK_LOAD = `
  INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at, updated_at, processed_at)
  SELECT md5('key' || n), 'openapi-tts', md5('task' || n), 200, $1::jsonb, 'processed', 1,
         now() - n * interval '1 second', now() - n * interval '1 second', now() - n * interval '1 second'
  FROM generate_series(1, $2::int) AS n`;

async function createLoadedDatabase(context: ScenarioContext, rows: number): Promise<string> {
  const url = await context.database.create();
  if (rows > 0) {
    const started = Date.now();
    await runSql(url, BULK_LOAD, [JSON.stringify(buildTtsPayload()), rows]);
    // Set hint bits and the visibility map now, so that autovacuum does not start during the measured runs.
    await runSql(url, 'VACUUM (ANALYZE) vmeg_webhook_deliveries');
    try {
      await runSql(url, 'CHECKPOINT');
    } catch {
      // CHECKPOINT needs superuser or pg_checkpoint, which a DATABASE_URL user may lack.
    }
    context.log(`  loaded ${rows.toLocaleString('en-US')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return url;
}

export const growth: Scenario = {
  name: 'growth',
  title: 'Queued intake with 0, 100k and 1M rows already in the table (quick mode: 0 and 100k)',
  async run(context) {
    const sizes = context.quick ? [0, 100_000] : [0, 100_000, 1_000_000];
    const configs = [];
    for (const rows of sizes) {
      configs.push({ adapter: 'express' as const, variant: 'queued' as const, databaseUrl: await createLoadedDatabase(context, rows) });
    }
    const apps = await startBenchApps(configs);
    try {
      await warmUp(context, apps);

      const label = (rows: number) => `${rows.toLocaleString('en-US')} rows`;
      const results = await measureRounds(
        context,
        apps.map((app, index) => ({ label: label(sizes[index]), app })),
      );

      const empty = results.get(label(0)) ?? [];
      for (const rows of sizes) {
        const runs = results.get(label(rows)) ?? [];
        context.log(
          `  ${label(rows).padEnd(16)} ${Math.round(median(runs.map((run) => run.throughput)))}/s  p99 ${median(runs.map((run) => run.p99))} ms`,
        );
      }
      for (const rows of sizes.slice(1)) {
        const runs = results.get(label(rows)) ?? [];
        context.ratio({
          scenario: 'growth',
          name: `express queued at ${label(rows)} / empty table throughput`,
          value: median(roundRatios(runs, empty, (run) => run.throughput)),
          target: rows === sizes[sizes.length - 1] ? { comparison: '>=', threshold: 0.9 } : undefined,
        });
        context.ratio({
          scenario: 'growth',
          name: `express queued at ${label(rows)} / empty table p99`,
          value: median(roundRatios(runs, empty, (run) => run.p99)),
        });
      }
    } finally {
      await stopBenchApps(apps);
    }
  },
};
