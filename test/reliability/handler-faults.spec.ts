import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, FAST_WORKER } from '../support/inbox-fixture';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { ControlledHandlers } from './support/controlled-handlers';
import { printSummary } from './support/summary';
import { countEffects, readDeliveryState } from './support/delivery-state';

const FILE = 'test/reliability/handler-faults.spec.ts';

const circular: Record<string, unknown> = { name: 'circular' };
circular.self = circular;

/** A thrown value that cannot be described: JSON.stringify and String both throw. */
const unprintable = {
  toJSON(): never {
    throw new Error('toJSON failed');
  },
  toString(): never {
    throw new Error('toString failed');
  },
};

/** Values a handler may throw or reject with instead of an Error. */
const THROWN_VALUES: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'plain failure text'],
  ['a number', 42],
  ['a bigint', 10n],
  ['a symbol', Symbol('thrown')],
  ['a plain object', { reason: 'plain object' }],
  ['a circular object', circular],
  ['an object without prototype', Object.create(null)],
  ['an unprintable object', unprintable],
  ['an Error subclass', new RangeError('out of range')],
];

describe.each(HTTP_ADAPTERS)('handler faults over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;
  const apps = {} as Record<'queued' | 'inline', TestApp>;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    apps.queued = await startTestApp({
      adapter,
      databaseUrl: database.url,
      providers: [ControlledHandlers],
      vmeg: { dispatch: 'queued', worker: { ...FAST_WORKER, concurrency: 2, leaseMs: 1000, maxAttempts: 3 } },
    });
    apps.inline = await startTestApp({ adapter, databaseUrl: database.url, providers: [ControlledHandlers], vmeg: { dispatch: 'inline', lockTimeoutMs: 500 } });
  });

  afterAll(async () => {
    await apps.queued?.close();
    await apps.inline?.close();
    await db?.end();
    await database?.drop();
  });

  const row = (key: string) => readDeliveryState(db, key);

  const effects = (key: string) => countEffects(db, key);

  async function waitForStatus(key: string, status: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await row(key))?.status !== status) {
      if (Date.now() > deadline) {
        throw new Error(`delivery ${key} is ${(await row(key))?.status} ${timeoutMs} ms later, expected ${status}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe('inline', () => {
    it.each(THROWN_VALUES)('answers 500 for %s, then succeeds', async (name, value) => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { throws: [value] });

      const failed = await sendSigned(apps.inline.url, body);
      const afterFailure = await row(key);
      const retry = await sendSigned(apps.inline.url, body);

      printSummary(FILE, `${adapter} inline throws ${name}`, { 'faults-injected': 1, status: failed.status, 'retry-status': retry.status, effects: await effects(key) });
      expect(failed.status).toBe(500);
      expect(failed.body.message).toContain('ControlledHandlers.onSpeech failed');
      expect(afterFailure?.status).toBe('failed');
      expect(afterFailure?.last_error).toContain('ControlledHandlers.onSpeech: ');
      expect(retry.status).toBe(200);
      expect(await effects(key)).toBe(1);
    });

    it('answers 500 when a handler catches a database error', async () => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { catchDatabaseError: 1 });

      const failed = await sendSigned(apps.inline.url, body);
      const afterFailure = await row(key);
      const retry = await sendSigned(apps.inline.url, body);

      printSummary(FILE, `${adapter} inline caught database error`, { 'faults-injected': 1, status: failed.status, 'retry-status': retry.status, effects: await effects(key) });
      expect(failed.status).toBe(500);
      expect(failed.body.message).toContain('ControlledHandlers.onSpeech failed');
      expect(afterFailure?.status).toBe('failed');
      expect(afterFailure?.last_error).toContain('left the transaction aborted');
      expect(retry.status).toBe(200);
      expect(await effects(key)).toBe(1);
    });

    it('answers 500 when a handler leaves a failing statement running', async () => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { unawaitedDatabaseError: true });

      const failed = await sendSigned(apps.inline.url, body);
      const afterFailure = await row(key);
      const retry = await sendSigned(apps.inline.url, body);

      expect(failed.status).toBe(500);
      expect(afterFailure?.status).toBe('failed');
      expect(afterFailure?.last_error).toContain('left the transaction aborted');
      expect(retry.status).toBe(200);
      expect(await effects(key)).toBe(1);
    });

    it('answers 500 when a handler rolled back the transaction', async () => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { rollBackWholeTransaction: true });

      const failed = await sendSigned(apps.inline.url, body);
      const afterFailure = await row(key);

      expect(failed.status).toBe(500);
      expect(failed.body.message).toContain('ControlledHandlers.onSpeech failed');
      expect(afterFailure?.status).toBe('failed');
      expect(afterFailure?.last_error).toContain('the transaction was ended');
    });

    it('commits a handler that recovered in a savepoint', async () => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { recoverFromDatabaseError: true });

      const response = await sendSigned(apps.inline.url, body);

      expect(response.status).toBe(200);
      expect((await row(key))?.status).toBe('processed');
      expect(handlers.callsOf(key)).toBe(1);
      expect(await effects(key)).toBe(1);
    });

    it('answers 409 to a copy of a hung delivery', async () => {
      const handlers = apps.inline.app.get(ControlledHandlers);
      const hung = ttsBody();
      const other = ttsBody();
      const pause = handlers.plan(hung.pipelineKey as string, { pause: { queryAfterRelease: true } });

      const first = sendSigned(apps.inline.url, hung).then((response) => response);
      await pause.started;
      const copy = await sendSigned(apps.inline.url, hung);
      const unrelated = await sendSigned(apps.inline.url, other);
      pause.release();
      const firstResponse = await first;

      printSummary(FILE, `${adapter} inline hung handler`, { 'copy-status': copy.status, 'other-status': unrelated.status, 'first-status': firstResponse.status, effects: await effects(hung.pipelineKey as string) });
      expect(copy.status).toBe(409);
      expect(unrelated.status).toBe(200);
      expect(firstResponse.status).toBe(200);
      expect(await effects(hung.pipelineKey as string)).toBe(1);
    });
  });

  describe('queued', () => {
    it('retries every thrown value until success', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const bodies = THROWN_VALUES.map(([, value]) => {
        const body = ttsBody();
        handlers.plan(body.pipelineKey as string, { throws: [value] });
        return body;
      });

      for (const body of bodies) {
        await sendSigned(apps.queued.url, body).expect(200);
      }
      for (const body of bodies) {
        await waitForStatus(body.pipelineKey as string, 'processed');
      }

      // One pg Client runs one query at a time, so the reads go one after another.
      const attempts: number[] = [];
      const effectCounts: number[] = [];
      for (const body of bodies) {
        attempts.push((await row(body.pipelineKey as string))!.attempts);
        effectCounts.push(await effects(body.pipelineKey as string));
      }
      printSummary(FILE, `${adapter} queued thrown values`, { 'faults-injected': bodies.length, processed: bodies.length, 'effects-not-once': effectCounts.filter((count) => count !== 1).length });
      expect(attempts).toEqual(bodies.map(() => 2));
      expect(effectCounts).toEqual(bodies.map(() => 1));
    });

    it('retries a handler that caught a database error', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { catchDatabaseError: 1 });

      await sendSigned(apps.queued.url, body).expect(200);
      await waitForStatus(key, 'processed');

      const stored = await row(key);
      printSummary(FILE, `${adapter} queued caught database error`, { 'faults-injected': 1, attempts: stored!.attempts, effects: await effects(key) });
      expect(stored?.attempts).toBe(2);
      expect(handlers.callsOf(key)).toBe(2);
      expect(await effects(key)).toBe(1);
    });

    it('retries a handler that left a failing statement running', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { unawaitedDatabaseError: true });

      await sendSigned(apps.queued.url, body).expect(200);
      await waitForStatus(key, 'processed');

      expect((await row(key))?.attempts).toBe(2);
      expect(handlers.callsOf(key)).toBe(2);
      expect(await effects(key)).toBe(1);
    });

    it('completes a handler that recovered in a savepoint', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { recoverFromDatabaseError: true });

      await sendSigned(apps.queued.url, body).expect(200);
      await waitForStatus(key, 'processed');

      expect((await row(key))?.attempts).toBe(1);
      expect(handlers.callsOf(key)).toBe(1);
      expect(await effects(key)).toBe(1);
    });

    it('dead-letters a delivery that always throws', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const body = ttsBody();
      const key = body.pipelineKey as string;
      handlers.plan(key, { throws: [unprintable, unprintable, unprintable, unprintable] });

      await sendSigned(apps.queued.url, body).expect(200);
      await waitForStatus(key, 'dead');

      const stored = await row(key);
      printSummary(FILE, `${adapter} queued always throws`, { 'faults-injected': 3, status: stored!.status, attempts: stored!.attempts, effects: await effects(key) });
      expect(stored?.attempts).toBe(3);
      expect(stored?.last_error).toContain('ControlledHandlers.onSpeech: non-Error value thrown');
      expect(await effects(key)).toBe(0);
    });

    it('keeps other deliveries moving past a hung handler', async () => {
      const handlers = apps.queued.app.get(ControlledHandlers);
      const hung = ttsBody();
      const others = [ttsBody(), ttsBody(), ttsBody()];
      const pause = handlers.plan(hung.pipelineKey as string, { pause: { queryAfterRelease: true } });

      await sendSigned(apps.queued.url, hung).expect(200);
      await pause.started;
      for (const body of others) {
        await sendSigned(apps.queued.url, body).expect(200);
      }
      for (const body of others) {
        await waitForStatus(body.pipelineKey as string, 'processed');
      }
      // Without worker.handlerTimeoutMs, which is off by default, the worker
      // keeps renewing the lease of a hung handler: after twice the lease it
      // is still the first attempt, and it ends only when the handler returns.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const whileHung = await row(hung.pipelineKey as string);
      pause.release();
      await waitForStatus(hung.pipelineKey as string, 'processed');

      printSummary(FILE, `${adapter} queued hung handler`, { 'others-processed': others.length, 'hung-attempts': whileHung!.attempts, effects: await effects(hung.pipelineKey as string) });
      expect(whileHung?.status).toBe('processing');
      expect(whileHung?.attempts).toBe(1);
      expect(handlers.callsOf(hung.pipelineKey as string)).toBe(1);
      expect(await effects(hung.pipelineKey as string)).toBe(1);
    });
  });
});
