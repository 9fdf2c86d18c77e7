/**
 * Scenario 7: resident set size of a queued app (Express, worker on, no-op
 * handler) before and after 100,000 deliveries. The app runs with
 * --expose-gc and collects garbage before each reading.
 */
import { startBenchApp } from '../support/app-process';
import { runSql } from '../support/bench-database';
import { assertCleanRun, runLoad } from '../support/load';
import type { Scenario } from '../support/report';

/** Deliveries per load run; each run signs its own pool, well inside the 300 s timestamp tolerance. */
const CHUNK = 20_000;
const DRAIN_TIMEOUT_MS = 300_000;

const MB = 1024 * 1024;

async function waitUntilDrained(databaseUrl: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ count }] = await runSql<{ count: number }>(
      databaseUrl,
      `SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE status IN ('pending', 'processing')`,
    );
    if (count === 0 || Date.now() > deadline) {
      return count;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const memory: Scenario = {
  name: 'memory',
  title: 'Resident set size before and after 100,000 queued deliveries (2,000 in quick mode)',
  async run(context) {
    const deliveries = context.quick ? 2_000 : 100_000;
    const databaseUrl = await context.database.create();
    const app = await startBenchApp({ adapter: 'express', variant: 'queued-worker', databaseUrl }, { nodeOptions: ['--expose-gc'] });
    try {
      const warmUp = await runLoad({ url: app.url, connections: context.connections, durationSeconds: 0, amount: context.quick ? 500 : 2000, bodies: { kind: 'fresh' } });
      assertCleanRun('memory warm-up', warmUp);
      await waitUntilDrained(databaseUrl, DRAIN_TIMEOUT_MS);
      const before = await app.request<'stats'>('stats');
      if (!before.gcExposed) {
        throw new Error('the app process was started without --expose-gc, so its RSS readings would include garbage');
      }

      const started = Date.now();
      for (let sent = 0; sent < deliveries; sent += CHUNK) {
        const amount = Math.min(CHUNK, deliveries - sent);
        const summary = await runLoad({ url: app.url, connections: context.connections, durationSeconds: 0, amount, bodies: { kind: 'fresh' } });
        assertCleanRun(`memory deliveries ${sent + 1} to ${sent + amount}`, summary);
      }
      const acknowledgedSeconds = (Date.now() - started) / 1000;
      const afterIntake = await app.request<'stats'>('stats');
      const unfinished = await waitUntilDrained(databaseUrl, DRAIN_TIMEOUT_MS);
      const after = await app.request<'stats'>('stats');

      context.log(
        `  ${deliveries} deliveries acknowledged in ${acknowledgedSeconds.toFixed(0)} s; handler calls ${after.handlerCalls - before.handlerCalls}` +
          (unfinished > 0 ? `; ${unfinished} still unfinished after ${DRAIN_TIMEOUT_MS / 1000} s` : ''),
      );
      context.log(
        `  RSS after warm-up ${(before.rss / MB).toFixed(1)} MB (heap ${(before.heapUsed / MB).toFixed(1)} MB),` +
          ` after intake ${(afterIntake.rss / MB).toFixed(1)} MB (heap ${(afterIntake.heapUsed / MB).toFixed(1)} MB),` +
          ` after drain ${(after.rss / MB).toFixed(1)} MB (heap ${(after.heapUsed / MB).toFixed(1)} MB)`,
      );
      // The larger of the two readings, because the allocator may hand pages back to the OS once the inbox is drained.
      const peak = Math.max(afterIntake.rss, after.rss);
      context.ratio({
        scenario: 'memory',
        name: `RSS growth over ${deliveries.toLocaleString('en-US')} queued deliveries (larger reading after them)`,
        value: (peak - before.rss) / MB,
        unit: 'MB',
        target: { comparison: '<=', threshold: 20 },
      });
      context.ratio({
        scenario: 'memory',
        name: `heap growth over ${deliveries.toLocaleString('en-US')} queued deliveries`,
        value: (after.heapUsed - before.heapUsed) / MB,
        unit: 'MB',
      });
    } finally {
      await app.stop();
    }
  },
};
