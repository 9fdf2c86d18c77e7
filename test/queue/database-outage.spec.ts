import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import type { TestDatabase } from '../support/test-database';

/** Connects to the server's maintenance database, which stays reachable during the outage. */
async function connectAdmin(databaseUrl: string): Promise<{ admin: Client; name: string }> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  return { admin, name };
}

describe('database outage with pending deliveries', () => {
  let database: TestDatabase;
  let db: Client;
  let app: QueuedApp;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    await db.end();
    app = await startQueuedApp(database.url, { pollIntervalMs: 200 });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers 503 meanwhile and drains by itself afterwards', async () => {
    const pending = Array.from({ length: 10 }, () => ttsBody());
    for (const body of pending) {
      app.handlers.delayMs.set(body.pipelineKey as string, 300);
      await sendSigned(app.url, body).expect(200);
    }

    // The outage: every session of the database is ended and new ones are refused.
    const { admin, name } = await connectAdmin(database.url);
    await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);

    const duringOutage = ttsBody();
    const refused = await sendSigned(app.url, duringOutage);
    expect(refused.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
    await admin.end();
    await app.inbox.waitUntilDrained({ timeoutMs: 30_000 });

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const statuses = await db.query(`SELECT status, count(*)::int AS count FROM vmeg_webhook_deliveries GROUP BY status`);
      expect(statuses.rows).toEqual([{ status: 'processed', count: 10 }]);
      const effects = await db.query(`SELECT count(*)::int AS count, count(DISTINCT pipeline_key)::int AS keys FROM handler_effects WHERE handler = 'onSpeech'`);
      expect(effects.rows[0]).toEqual({ count: 10, keys: 10 });
      const absent = await db.query('SELECT 1 FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [duringOutage.pipelineKey]);
      expect(absent.rowCount).toBe(0);
    } finally {
      await db.end();
    }
  }, 60_000);
});
