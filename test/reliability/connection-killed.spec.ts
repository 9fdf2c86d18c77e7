import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, FAST_WORKER } from '../support/inbox-fixture';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { ControlledHandlers } from './support/controlled-handlers';
import { printSummary } from './support/summary';
import { countEffects, readDeliveryState } from './support/delivery-state';

const FILE = 'test/reliability/connection-killed.spec.ts';

const VARIANTS = [
  { name: 'handler queries after the kill', queryAfterRelease: true },
  { name: 'commit after the kill', queryAfterRelease: false },
] as const;

/**
 * pg_terminate_backend ends the PostgreSQL session of a handler's
 * transaction while the handler runs, as a failover, an idle-session killer
 * or an operator would.
 */
describe.each(HTTP_ADAPTERS)('connection killed inside a handler over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;
  const apps = {} as Record<'queued' | 'inline', TestApp>;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    for (const dispatch of ['queued', 'inline'] as const) {
      apps[dispatch] = await startTestApp({ adapter, databaseUrl: database.url, providers: [ControlledHandlers], vmeg: { dispatch, worker: FAST_WORKER } });
    }
  });

  afterAll(async () => {
    await apps.queued?.close();
    await apps.inline?.close();
    await db?.end();
    await database?.drop();
  });

  const row = (key: string) => readDeliveryState(db, key);

  const effects = (key: string) => countEffects(db, key);

  async function waitForStatus(key: string, status: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await row(key))?.status !== status) {
      if (Date.now() > deadline) {
        throw new Error(`delivery ${key} is ${(await row(key))?.status} 20 s later, expected ${status}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function killBackend(pid: number): Promise<void> {
    const { rows } = await db.query('SELECT pg_terminate_backend($1) AS terminated', [pid]);
    expect(rows[0].terminated).toBe(true);
  }

  describe.each(VARIANTS)('$name', ({ name, queryAfterRelease }) => {
    it('queued: retries and writes the effect once', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      const pause = handlers.plan(key, { pause: { queryAfterRelease } });

      const response = await sendSigned(apps.queued.url, body);
      await killBackend(await pause.started);
      pause.release();
      await waitForStatus(key, 'processed');

      const stored = await row(key);
      printSummary(FILE, `${adapter} queued, ${name}`, { 'faults-injected': 1, status: response.status, attempts: stored!.attempts, effects: await effects(key), lost: stored!.status === 'processed' ? 0 : 1 });
      expect(response.status).toBe(200);
      expect(stored!.attempts).toBe(2);
      expect(handlers.callsOf(key)).toBe(2);
      expect(await effects(key)).toBe(1);
    });

    it('inline: answers 5xx, then processes the retry', async () => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      const pause = handlers.plan(key, { pause: { queryAfterRelease } });

      const pending = sendSigned(apps.inline.url, body).then((response) => response);
      await killBackend(await pause.started);
      pause.release();
      const response = await pending;
      const afterFailure = await row(key);
      const effectsAfterFailure = await effects(key);
      const retry = await sendSigned(apps.inline.url, body);

      printSummary(FILE, `${adapter} inline, ${name}`, { 'faults-injected': 1, status: response.status, 'retry-status': retry.status, effects: await effects(key) });
      expect(response.status).toBeGreaterThanOrEqual(500);
      expect(afterFailure?.status ?? 'absent').not.toBe('processed');
      expect(effectsAfterFailure).toBe(0);
      expect(retry.status).toBe(200);
      expect(retry.body.outcome).toBe('processed');
      expect(await effects(key)).toBe(1);
    });
  });
  it.each(['inline', 'queued'] as const)('%s: serves deliveries after idle connections were ended', async (dispatch) => {
    const app = apps[dispatch];
    const handlers = app.app.get(ControlledHandlers);
    // Ten deliveries at once leave several connections idle in the pool.
    const warmUp = Array.from({ length: 10 }, () => ttsBody());
    for (const body of warmUp) {
      handlers.plan(body.pipelineKey as string, { sleepSeconds: 0.2 });
    }
    await Promise.all(warmUp.map((body) => sendSigned(app.url, body).expect(200)));

    const ended = await db.query(
      'SELECT count(*)::int AS count FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) AS terminated',
    );
    const responses = await Promise.all(Array.from({ length: 5 }, () => sendSigned(app.url, ttsBody())));

    printSummary(FILE, `${adapter} ${dispatch} idle connections ended`, { 'faults-injected': ended.rows[0].count, statuses: responses.map((response) => response.status).join(',') });
    expect(ended.rows[0].count).toBeGreaterThan(0);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
  });
});
