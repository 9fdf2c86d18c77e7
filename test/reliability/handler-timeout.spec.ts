import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidVmegOptionsError } from '../../src';
import { resolveVmegOptions } from '../../src/lib/module/resolve-vmeg-options';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, FAST_WORKER } from '../support/inbox-fixture';
import { HTTP_ADAPTERS, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { ControlledHandlers } from './support/controlled-handlers';
import { printSummary } from './support/summary';
import { countEffects, readDeliveryState } from './support/delivery-state';

const FILE = 'test/reliability/handler-timeout.spec.ts';
const HANDLER_TIMEOUT_MS = 500;

describe('worker.handlerTimeoutMs option', () => {
  function resolveTimeout(handlerTimeoutMs: unknown): number {
    return resolveVmegOptions({ secret: TEST_SECRET, worker: { handlerTimeoutMs: handlerTimeoutMs as number } }).worker.handlerTimeoutMs;
  }

  it('defaults to no time-out', () => {
    const resolved = resolveVmegOptions({ secret: TEST_SECRET }).worker.handlerTimeoutMs;

    printSummary(FILE, 'option default', { inputs: 1, resolved });
    expect(resolved).toBe(0);
  });

  it('accepts 0 and whole milliseconds', () => {
    printSummary(FILE, 'option accepted values', { inputs: 2 });
    expect(resolveTimeout(0)).toBe(0);
    expect(resolveTimeout(250)).toBe(250);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '500'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('rejects %s', (name, value) => {
    printSummary(FILE, `option rejects ${name}`, { inputs: 1 });
    expect(() => resolveTimeout(value)).toThrow(InvalidVmegOptionsError);
    expect(() => resolveTimeout(value)).toThrow(/worker\.handlerTimeoutMs.*expected a whole number of 0 or more/);
  });
});

describe.each(HTTP_ADAPTERS)('handler time-out over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;
  let app: TestApp;
  let handlers: ControlledHandlers;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    app = await startTestApp({
      adapter,
      databaseUrl: database.url,
      providers: [ControlledHandlers],
      vmeg: { dispatch: 'queued', worker: { ...FAST_WORKER, leaseMs: 1000, handlerTimeoutMs: HANDLER_TIMEOUT_MS } },
    });
    handlers = app.app.get(ControlledHandlers);
  });

  afterAll(async () => {
    await app?.close();
    await db?.end();
    await database?.drop();
  });

  const row = (key: string) => readDeliveryState(db, key);

  const effects = (key: string) => countEffects(db, key);

  async function waitForStatus(key: string, status: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    while ((await row(key))?.status !== status) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`delivery ${key} is ${(await row(key))?.status} ${timeoutMs} ms later, expected ${status}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Date.now() - started;
  }

  it('retries a hung handler and drops its late writes', async () => {
    const body = ttsBody();
    const key = body.pipelineKey as string;
    const pause = handlers.plan(key, { pause: { queryAfterRelease: true } });

    await sendSigned(app.url, body).expect(200);
    await pause.started;
    const elapsedMs = await waitForStatus(key, 'processed', 10_000);
    // The first call resumes after its time-out and tries one more statement on its aborted connection.
    pause.release();
    await new Promise((resolve) => setTimeout(resolve, 200));

    printSummary(FILE, `${adapter} hung handler`, { 'faults-injected': 1, 'processed-after-ms': elapsedMs, attempts: (await row(key))!.attempts, effects: await effects(key) });
    expect((await row(key))?.attempts).toBe(2);
    expect(handlers.callsOf(key)).toBe(2);
    expect(await effects(key)).toBe(1);
    expect(app.logger.matching(new RegExp(`ControlledHandlers.onSpeech timed out after ${HANDLER_TIMEOUT_MS} ms`))).not.toEqual([]);
    expect(app.logger.matching(/failed after its time-out/)).not.toEqual([]);
  });

  it('cancels a statement that outlasts the time-out', async () => {
    const body = ttsBody();
    const key = body.pipelineKey as string;
    handlers.plan(key, { sleepSeconds: 30 });

    await sendSigned(app.url, body).expect(200);
    const elapsedMs = await waitForStatus(key, 'processed', 10_000);
    const sleeping = await db.query(`SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`);

    printSummary(FILE, `${adapter} long statement`, { 'faults-injected': 1, 'processed-after-ms': elapsedMs, effects: await effects(key) });
    expect(elapsedMs).toBeLessThan(10_000);
    expect(sleeping.rows[0].count).toBe(0);
    expect(await effects(key)).toBe(1);
  });
});
