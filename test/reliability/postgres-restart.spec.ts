import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueuedApp } from '../support/inbox-fixture';
import { HANDLER_EFFECTS_TABLE, RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, runVmegMigrations, startTestApp, type TestApp } from '../support/test-app';
import { runFaultUnderLoad, type FaultTarget } from './support/fault-under-load';
import { startRestartablePostgres, type RestartablePostgres } from './support/restartable-postgres';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/postgres-restart.spec.ts';

/** Statuses allowed while PostgreSQL is down; inline mode may also fail inside a handler. */
const ALLOWED_DURING_RESTART = { queued: [200, 503], inline: [200, 500, 503] };

/**
 * This file always runs on an embedded PostgreSQL 18 of its own, also in the
 * CI pass that sets DATABASE_URL, because crashing the shared server would
 * break every other test file running at the same time.
 */
describe('PostgreSQL crash and restart under load', () => {
  let server: RestartablePostgres;
  const apps: TestApp[] = [];
  const targets: FaultTarget[] = [];

  async function createDatabase(): Promise<string> {
    const name = `vmeg_restart_${randomBytes(6).toString('hex')}`;
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    const url = new URL(server.url);
    url.pathname = `/${name}`;

    await runVmegMigrations(url.toString());
    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    await db.query(HANDLER_EFFECTS_TABLE);
    await db.end();
    return url.toString();
  }

  beforeAll(async () => {
    server = await startRestartablePostgres();
    for (const adapter of HTTP_ADAPTERS) {
      for (const dispatch of ['queued', 'inline'] as const) {
        const databaseUrl = await createDatabase();
        const app =
          dispatch === 'queued'
            ? await startQueuedApp(databaseUrl, { pollIntervalMs: 200 }, adapter)
            : await startTestApp({ adapter, databaseUrl, providers: [RecordingHandlers], vmeg: { dispatch: 'inline' } });
        apps.push(app);
        targets.push({ label: `${adapter} ${dispatch}`, url: app.url, databaseUrl, dispatch });
      }
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await server?.stop();
  });

  it('acknowledges nothing it then loses', async () => {
    const reports = await runFaultUnderLoad(targets, { inject: () => server.crash(), heal: () => server.start() }, { beforeMs: 1_000, faultMs: 1_500, afterMs: 1_500, inFlight: 12 });

    for (const report of reports) {
      printSummary(FILE, report.target.label, {
        requests: report.sent,
        acknowledged: report.acknowledged.length,
        'failed-during-restart': report.rejected.length,
        statuses: report.statuses,
        'retried-until-200': report.rejected.length - report.neverAcknowledged.length,
        lost: report.lost.length,
      });
    }

    for (const report of reports) {
      const allowed = ALLOWED_DURING_RESTART[report.target.dispatch];
      const label = report.target.label;
      expect(report.rejected.filter((delivery) => !allowed.includes(delivery.status)).map((delivery) => delivery.status), `${label}: statuses outside ${allowed}`).toEqual([]);
      expect(report.rejected.length, `${label}: the crash rejected no request`).toBeGreaterThan(0);
      expect(report.acknowledged.length, `${label}: nothing was acknowledged`).toBeGreaterThan(0);
      expect(report.lost, `${label}: acknowledged deliveries lost`).toEqual([]);
      expect(report.neverAcknowledged.map((delivery) => delivery.key), `${label}: retries never acknowledged`).toEqual([]);
      expect(report.audit, label).toEqual({ missing: [], unprocessed: [], notExactlyOnce: [] });
    }
  }, 150_000);
});
