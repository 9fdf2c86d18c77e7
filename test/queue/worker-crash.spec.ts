import { once } from 'node:events';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import type { TestDatabase } from '../support/test-database';
import { startBlockedWorker } from '../support/worker-process';

describe('worker killed inside a handler', () => {
  let database: TestDatabase;
  let db: Client;
  let receiver: QueuedApp;
  let successor: QueuedApp | undefined;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    receiver = await startQueuedApp(database.url, { enabled: false });
  });

  afterAll(async () => {
    await successor?.close();
    await receiver?.close();
    await db?.end();
    await database?.drop();
  });

  it('is taken over after the lease, without a duplicate effect', async () => {
    const body = ttsBody();
    const key = body.pipelineKey as string;
    await sendSigned(receiver.url, body).expect(200);

    const child = await startBlockedWorker(database.url, key);
    const claimed = (await db.query('SELECT status, locked_by FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [key])).rows[0];
    expect(claimed.status).toBe('processing');
    expect(claimed.locked_by).toMatch(new RegExp(`:${child.pid}:`));

    child.kill('SIGKILL');
    await once(child, 'exit');
    successor = await startQueuedApp(database.url, { leaseMs: 2000 });
    await successor.inbox.waitUntilDrained({ timeoutMs: 30_000 });

    const stored = (await db.query('SELECT status, attempts FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [key])).rows[0];
    expect(stored.status).toBe('processed');
    expect(stored.attempts).toBe(2);
    const effects = (await db.query('SELECT handler, attempt FROM handler_effects WHERE pipeline_key = $1 ORDER BY id', [key])).rows;
    expect(effects).toEqual([
      { handler: 'onSpeech', attempt: 2 },
      { handler: 'onEvery', attempt: 2 },
    ]);
    expect(successor.handlers.callsOf(key, 'onSpeech').map((call) => call.attempt)).toEqual([2]);
  }, 120_000);
});
