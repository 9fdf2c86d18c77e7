import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, FAST_WORKER } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { histogram, printSummary } from './support/summary';

const FILE = 'test/reliability/concurrency.spec.ts';

/** Maximum times a request that got 409 is sent again, as VMEG would retry it. */
const MAX_RETRIES = 5;

interface Sent {
  key: string;
  status: number;
  outcome?: string;
  retries: number;
}

/**
 * Two app instances, one per HTTP adapter, on one database, in each dispatch
 * mode. Bursts go to both at once, so that copies of one delivery race in
 * two processes' connection pools.
 */
describe.each(['queued', 'inline'] as const)('bursts in %s dispatch', (dispatch) => {
  let database: TestDatabase;
  let db: Client;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    for (const adapter of HTTP_ADAPTERS) {
      apps.push(
        await startTestApp({
          adapter,
          databaseUrl: database.url,
          providers: [RecordingHandlers],
          vmeg: { dispatch, lockTimeoutMs: 2000, worker: { ...FAST_WORKER, concurrency: 6, maxAttempts: 10 } },
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await db?.end();
    await database?.drop();
  });

  /** Sends `bytes`, and again after a 409, up to MAX_RETRIES times. */
  async function deliver(appIndex: number, key: string, bytes: string): Promise<Sent> {
    for (let retries = 0; ; retries++) {
      const response = await sendSigned(apps[appIndex % apps.length].url, bytes);
      if (response.status !== 409 || retries === MAX_RETRIES) {
        return { key, status: response.status, outcome: response.body?.outcome, retries };
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * (retries + 1)));
    }
  }

  async function drain(): Promise<void> {
    if (dispatch === 'inline') {
      return;
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await db.query(`SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE status IN ('pending', 'processing')`);
      if (rows[0].count === 0) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`${rows[0].count} deliveries still pending 60 s after the burst`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function effectCounts(keys: string[]): Promise<Map<string, { onSpeech: number; onEvery: number }>> {
    const { rows } = await db.query<{ pipeline_key: string; handler: string; count: number }>(
      'SELECT pipeline_key, handler, count(*)::int AS count FROM handler_effects WHERE pipeline_key = ANY($1) GROUP BY pipeline_key, handler',
      [keys],
    );
    const counts = new Map(keys.map((key) => [key, { onSpeech: 0, onEvery: 0 }]));
    for (const row of rows) {
      counts.get(row.pipeline_key)![row.handler as 'onSpeech' | 'onEvery'] = row.count;
    }
    return counts;
  }

  async function checkExactlyOnce(label: string, keys: string[], sent: Sent[]): Promise<void> {
    await drain();

    const effects = await effectCounts(keys);
    const stored = await db.query<{ pipeline_key: string; status: string }>('SELECT pipeline_key, status FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1)', [keys]);
    const firstAcknowledgements = sent.filter((result) => result.outcome === 'queued' || result.outcome === 'processed');

    printSummary(FILE, `${dispatch} ${label}`, {
      requests: sent.length,
      deliveries: keys.length,
      retries: sent.reduce((total, result) => total + result.retries, 0),
      statuses: Object.entries(histogram(sent.map((result) => result.status))).map(([status, count]) => `${status}:${count}`).join(','),
      'effects-not-once': [...effects.values()].filter((count) => count.onSpeech !== 1 || count.onEvery !== 1).length,
    });

    expect(sent.filter((result) => result.status !== 200)).toEqual([]);
    expect(new Set(firstAcknowledgements.map((result) => result.key)).size).toBe(keys.length);
    expect(firstAcknowledgements).toHaveLength(keys.length);
    expect(stored.rows).toHaveLength(keys.length);
    expect(stored.rows.filter((row) => row.status !== 'processed')).toEqual([]);
    for (const [key, count] of effects) {
      expect(count, `handler effects of ${key}`).toEqual({ onSpeech: 1, onEvery: 1 });
    }
  }

  it('runs each handler once per delivery in a mixed burst', async () => {
    const bodies = Array.from({ length: 60 }, () => JSON.stringify(ttsBody()));
    const keys = bodies.map((bytes) => JSON.parse(bytes).pipelineKey as string);
    // Five copies of each delivery, shuffled so that copies and distinct keys interleave.
    const requests = bodies.flatMap((bytes, index) => Array.from({ length: 5 }, () => ({ key: keys[index], bytes, rank: Math.random() }))).sort((a, b) => a.rank - b.rank);

    const sent = await Promise.all(requests.map((request, index) => deliver(index, request.key, request.bytes)));

    await checkExactlyOnce('mixed burst', keys, sent);
  }, 90_000);

  it('runs handlers once for 80 copies of one slow delivery', async () => {
    const bytes = JSON.stringify(ttsBody());
    const key = JSON.parse(bytes).pipelineKey as string;
    for (const app of apps) {
      app.app.get(RecordingHandlers).delayMs.set(key, 300);
    }

    const sent = await Promise.all(Array.from({ length: 80 }, (_, index) => deliver(index, key, bytes)));

    await checkExactlyOnce('one key', [key], sent);
  }, 90_000);
});
