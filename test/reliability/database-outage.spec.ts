import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInboxDatabase, startQueuedApp } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { runFaultUnderLoad, type FaultTarget } from './support/fault-under-load';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/database-outage.spec.ts';

/** Statuses allowed while PostgreSQL is unreachable; inline mode may also fail inside a handler. */
const ALLOWED_DURING_OUTAGE = { queued: [200, 503], inline: [200, 500, 503] };

describe('database outage under load', () => {
  const databases: TestDatabase[] = [];
  const apps: TestApp[] = [];
  const targets: FaultTarget[] = [];
  let admin: Client;

  beforeAll(async () => {
    for (const adapter of HTTP_ADAPTERS) {
      for (const dispatch of ['queued', 'inline'] as const) {
        const { database, db } = await createInboxDatabase();
        await db.end();
        databases.push(database);
        const app =
          dispatch === 'queued'
            ? await startQueuedApp(database.url, { pollIntervalMs: 200 }, adapter)
            : await startTestApp({ adapter, databaseUrl: database.url, providers: [RecordingHandlers], vmeg: { dispatch: 'inline' } });
        apps.push(app);
        targets.push({ label: `${adapter} ${dispatch}`, url: app.url, databaseUrl: database.url, dispatch });
      }
    }

    // The maintenance database stays reachable while the test databases refuse connections.
    const maintenanceUrl = new URL(inject('databaseUrl'));
    maintenanceUrl.pathname = '/postgres';
    admin = new Client({ connectionString: maintenanceUrl.toString() });
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await admin?.end();
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('acknowledges nothing it then loses', async () => {
    const names = targets.map((target) => new URL(target.databaseUrl).pathname.slice(1));
    const setAllowConnections = async (allowed: boolean): Promise<void> => {
      for (const name of names) {
        await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS ${allowed}`);
      }
    };

    const reports = await runFaultUnderLoad(
      targets,
      {
        inject: async () => {
          await setAllowConnections(false);
          await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY($1)', [names]);
        },
        heal: () => setAllowConnections(true),
      },
      { beforeMs: 1_000, faultMs: 2_000, afterMs: 1_000, inFlight: 12 },
    );

    for (const report of reports) {
      printSummary(FILE, report.target.label, {
        requests: report.sent,
        acknowledged: report.acknowledged.length,
        'failed-during-outage': report.rejected.length,
        statuses: report.statuses,
        'retried-until-200': report.rejected.length - report.neverAcknowledged.length,
        lost: report.lost.length,
      });
    }

    for (const report of reports) {
      const allowed = ALLOWED_DURING_OUTAGE[report.target.dispatch];
      const label = report.target.label;
      expect(report.rejected.filter((delivery) => !allowed.includes(delivery.status)).map((delivery) => delivery.status), `${label}: statuses outside ${allowed}`).toEqual([]);
      expect(report.rejected.length, `${label}: the outage rejected no request`).toBeGreaterThan(0);
      expect(report.acknowledged.length, `${label}: nothing was acknowledged`).toBeGreaterThan(0);
      expect(report.lost, `${label}: acknowledged deliveries lost`).toEqual([]);
      expect(report.neverAcknowledged.map((delivery) => delivery.key), `${label}: retries never acknowledged`).toEqual([]);
      expect(report.audit, label).toEqual({ missing: [], unprocessed: [], notExactlyOnce: [] });
    }
  }, 150_000);
});
