import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import type { TestDatabase } from '../support/test-database';

describe('two app instances on one database', () => {
  let database: TestDatabase;
  let db: Client;
  let first: QueuedApp;
  let second: QueuedApp;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    first = await startQueuedApp(database.url, { concurrency: 4, batchSize: 3 });
    second = await startQueuedApp(database.url, { concurrency: 4, batchSize: 3 }, 'fastify');
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.end();
    await database?.drop();
  });

  it('runs every handler exactly once for 200 deliveries', async () => {
    const bodies = Array.from({ length: 200 }, () => ttsBody());
    // Some deliveries fail once, so that retries also cross instances.
    for (const body of bodies.filter((_body, index) => index % 10 === 0)) {
      first.handlers.failTimes.set(body.pipelineKey as string, 1);
      second.handlers.failTimes.set(body.pipelineKey as string, 1);
    }

    for (let index = 0; index < bodies.length; index += 20) {
      const batch = bodies.slice(index, index + 20);
      const responses = await Promise.all(batch.map((body, offset) => sendSigned((index + offset) % 2 === 0 ? first.url : second.url, body)));
      expect(responses.every((response) => response.status === 200)).toBe(true);
    }
    await first.inbox.waitUntilDrained({ timeoutMs: 60_000 });

    const statuses = await db.query(`SELECT status, count(*)::int AS count FROM vmeg_webhook_deliveries GROUP BY status`);
    expect(statuses.rows).toEqual([{ status: 'processed', count: 200 }]);

    const effects = await db.query(`SELECT handler, count(*)::int AS count, count(DISTINCT pipeline_key)::int AS keys FROM handler_effects GROUP BY handler ORDER BY handler`);
    expect(effects.rows).toEqual([
      { handler: 'onEvery', count: 200, keys: 200 },
      { handler: 'onSpeech', count: 200, keys: 200 },
    ]);

    const callsByBoth = [...first.handlers.calls, ...second.handlers.calls].filter((call) => call.handler === 'onEvery');
    expect(callsByBoth).toHaveLength(200);
    expect(first.handlers.calls.length).toBeGreaterThan(0);
    expect(second.handlers.calls.length).toBeGreaterThan(0);
  }, 90_000);
});
