import type { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newPipelineKey, sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import type { TestDatabase } from '../support/test-database';

describe('queued dispatch', () => {
  let database: TestDatabase;
  let db: Client;
  const apps: QueuedApp[] = [];

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  async function start(worker = {}): Promise<QueuedApp> {
    const app = await startQueuedApp(database.url, worker);
    apps.push(app);
    return app;
  }

  async function row(pipelineKey: string) {
    return (await db.query('SELECT * FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey])).rows[0];
  }

  async function effectCount(pipelineKey: string, handler: string): Promise<number> {
    const result = await db.query('SELECT count(*)::int AS count FROM handler_effects WHERE pipeline_key = $1 AND handler = $2', [pipelineKey, handler]);
    return result.rows[0].count;
  }

  it('acknowledges before a slow handler finishes', async () => {
    const app = await start({ leaseMs: 3000 });
    const body = ttsBody();
    app.handlers.delayMs.set(body.pipelineKey as string, 20_000);
    const started = Date.now();

    const response = await sendSigned(app.url, body);
    const acknowledgedAfterMs = Date.now() - started;

    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe('queued');
    expect(acknowledgedAfterMs).toBeLessThan(20_000);
    expect((await row(body.pipelineKey as string)).processed_at).toBeNull();

    await app.inbox.waitUntilDrained({ timeoutMs: 40_000 });

    expect((await row(body.pipelineKey as string)).status).toBe('processed');
    expect(app.handlers.callsOf(body.pipelineKey as string, 'onSpeech')).toHaveLength(1);
    expect(await effectCount(body.pipelineKey as string, 'onSpeech')).toBe(1);
  }, 60_000);

  it('stores 20 concurrent duplicates once and runs each handler once', async () => {
    const app = await start();
    const bytes = JSON.stringify(ttsBody());
    const key = JSON.parse(bytes).pipelineKey as string;

    const responses = await Promise.all(Array.from({ length: 20 }, () => sendSigned(app.url, bytes)));
    await app.inbox.waitUntilDrained();

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(responses.filter((response) => response.body.outcome === 'queued')).toHaveLength(1);
    expect((await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [key])).rows[0].count).toBe(1);
    expect(await effectCount(key, 'onSpeech')).toBe(1);
    expect(await effectCount(key, 'onEvery')).toBe(1);
  });

  it('answers a duplicate of a pending delivery with 200 at once', async () => {
    const app = await start({ enabled: false });
    const body = ttsBody();

    await sendSigned(app.url, body).expect(200);
    const duplicate = await sendSigned(app.url, body);

    expect(duplicate.status).toBe(200);
    expect(duplicate.body.outcome).toBe('duplicate');
    expect((await row(body.pipelineKey as string)).status).toBe('pending');
  });

  it('wakes the worker by NOTIFY before its next poll', async () => {
    const app = await start({ pollIntervalMs: 60_000 });
    const bodies = Array.from({ length: 5 }, () => ttsBody());

    const responses = await Promise.all(bodies.map((body) => sendSigned(app.url, body)));
    await app.inbox.waitUntilDrained({ timeoutMs: 10_000 });

    expect(responses.map((response) => response.body.outcome)).toEqual(Array(5).fill('queued'));
    for (const body of bodies) {
      expect(app.handlers.callsOf(body.pipelineKey as string, 'onSpeech')).toHaveLength(1);
    }
  });

  it('retries a failing handler with backoff until it succeeds', async () => {
    const app = await start({ retryBaseDelayMs: 300, retryMaxDelayMs: 1000, maxAttempts: 5 });
    const body = ttsBody();
    const key = body.pipelineKey as string;
    app.handlers.failTimes.set(key, 2);

    await sendSigned(app.url, body).expect(200);
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    const calls = app.handlers.callsOf(key, 'onSpeech');
    expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
    const stored = await row(key);
    expect(stored.status).toBe('processed');
    expect(stored.attempts).toBe(3);
    expect(stored.last_error).toBeNull();
    expect(await effectCount(key, 'onSpeech')).toBe(1);

    // With jitter, the delay after attempt n is between half and all of base * 2^(n-1).
    const starts = app.handlers.callTimes(key, 'onSpeech');
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(150);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(300);
  });

  it('dead-letters after the maximum attempts, then replays to success', async () => {
    const app = await start({ maxAttempts: 3 });
    const body = ttsBody();
    const key = body.pipelineKey as string;
    app.handlers.failTimes.set(key, 3);

    await sendSigned(app.url, body).expect(200);
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    const dead = await app.inbox.find(key);
    expect(dead?.status).toBe('dead');
    expect(dead?.attempts).toBe(3);
    expect(dead?.lastError).toContain('RecordingHandlers.onSpeech: planned failure of onSpeech');
    expect(dead?.completedHandlers).toEqual(['RecordingHandlers.onEvery']);
    expect((await app.inbox.list('dead')).map((delivery) => delivery.pipelineKey)).toContain(key);

    expect(await app.inbox.replay(key)).toBe(true);
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    const replayed = await app.inbox.find(key);
    expect(replayed?.status).toBe('processed');
    expect(replayed?.completedHandlers.sort()).toEqual(['RecordingHandlers.onEvery', 'RecordingHandlers.onSpeech']);
    expect(await effectCount(key, 'onSpeech')).toBe(1);
    expect(await effectCount(key, 'onEvery')).toBe(1);
  });

  it('replays every dead delivery at once', async () => {
    const app = await start({ maxAttempts: 1 });
    const keys = [ttsBody(), ttsBody()].map((body) => {
      app.handlers.failTimes.set(body.pipelineKey as string, 1);
      return body;
    });
    for (const body of keys) {
      await sendSigned(app.url, body).expect(200);
    }
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    const replayed = await app.inbox.replayDead();
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    expect(replayed).toBeGreaterThanOrEqual(2);
    for (const body of keys) {
      expect((await row(body.pipelineKey as string)).status).toBe('processed');
    }
  });

  it('runs a succeeded handler once while another one fails', async () => {
    const app = await start();
    const body = ttsBody();
    const key = body.pipelineKey as string;
    app.handlers.failTimes.set(key, 1);

    await sendSigned(app.url, body).expect(200);
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    expect(app.handlers.callsOf(key, 'onEvery')).toHaveLength(1);
    expect(app.handlers.callsOf(key, 'onSpeech')).toHaveLength(2);
    expect(await effectCount(key, 'onEvery')).toBe(1);
    expect(await effectCount(key, 'onSpeech')).toBe(1);
  });

  it('does not replay a processed delivery or an unknown key', async () => {
    const app = await start();
    const body = ttsBody();
    await sendSigned(app.url, body).expect(200);
    await app.inbox.waitUntilDrained();

    expect(await app.inbox.replay(body.pipelineKey as string)).toBe(false);
    expect(await app.inbox.replay(newPipelineKey())).toBe(false);
  });

  it('purges only processed deliveries older than the retention', async () => {
    const app = await start({ retentionDays: 7 });
    const old = ttsBody();
    const recent = ttsBody();
    const deadOld = ttsBody();
    app.handlers.failTimes.set(deadOld.pipelineKey as string, 5);
    for (const body of [old, recent, deadOld]) {
      await sendSigned(app.url, body).expect(200);
    }
    await app.inbox.waitUntilDrained({ timeoutMs: 20_000 });
    await db.query(`UPDATE vmeg_webhook_deliveries SET processed_at = now() - interval '8 days', received_at = now() - interval '8 days' WHERE pipeline_key = ANY($1)`, [
      [old.pipelineKey, deadOld.pipelineKey],
    ]);

    const purged = await app.inbox.purge();

    expect(purged).toBe(1);
    expect(await row(old.pipelineKey as string)).toBeUndefined();
    expect((await row(recent.pipelineKey as string)).status).toBe('processed');
    expect((await row(deadOld.pipelineKey as string)).status).toBe('dead');
    expect((await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_handler_runs WHERE delivery_id NOT IN (SELECT id FROM vmeg_webhook_deliveries)')).rows[0].count).toBe(0);
  });

  it('keeps everything when retention is 0', async () => {
    const app = await start({ retentionDays: 0 });
    const body = ttsBody();
    await sendSigned(app.url, body).expect(200);
    await app.inbox.waitUntilDrained();
    await db.query(`UPDATE vmeg_webhook_deliveries SET processed_at = now() - interval '400 days' WHERE pipeline_key = $1`, [body.pipelineKey]);

    const purged = await app.inbox.purge();

    expect(purged).toBe(0);
    expect((await row(body.pipelineKey as string)).status).toBe('processed');
  });

  it('finishes a running handler before shutdown', async () => {
    const app = await startQueuedApp(database.url, { shutdownTimeoutMs: 5000 });
    const body = ttsBody();
    const key = body.pipelineKey as string;
    app.handlers.delayMs.set(key, 800);
    await sendSigned(app.url, body).expect(200);
    await waitFor(() => app.handlers.callsOf(key, 'onSpeech').length === 1);

    await app.close();

    expect((await row(key)).status).toBe('processed');
    expect(await effectCount(key, 'onSpeech')).toBe(1);
  });

  it('leaves a handler that outlasts shutdown to the next worker', async () => {
    const app = await startQueuedApp(database.url, { shutdownTimeoutMs: 200, leaseMs: 1500 });
    const body = ttsBody();
    const key = body.pipelineKey as string;
    app.handlers.delayMs.set(key, 3000);
    await sendSigned(app.url, body).expect(200);
    await waitFor(() => app.handlers.callsOf(key, 'onSpeech').length === 1);

    await app.close();
    const successor = await start();
    await successor.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    expect((await row(key)).status).toBe('processed');
    expect(await effectCount(key, 'onSpeech')).toBe(1);
    expect(successor.handlers.callsOf(key, 'onSpeech')).toHaveLength(1);
  });
});

/** Polls `condition` every 20 ms for up to 10 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
