import { Client, Pool } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signVmegRequest } from '../../src';
import { newPipelineKey, sendSigned, ttsBody, WEBHOOK_PATH } from '../support/deliveries';
import { HANDLER_EFFECTS_TABLE, RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, runVmegMigrations, startTestApp, TEST_SECRET, type TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

describe.each(HTTP_ADAPTERS)('webhook delivery over %s', (adapter) => {
  let database: { url: string; drop(): Promise<void> };
  // A pool, because the concurrency tests read rows from several requests at once.
  let db: Pool;
  let testApp: TestApp;
  let handlers: RecordingHandlers;

  beforeAll(async () => {
    database = await createTestDatabase();
    await runVmegMigrations(database.url);
    db = new Pool({ connectionString: database.url, max: 4 });
    // The refused-connections test terminates this pool's idle sessions too;
    // the pool then drops them and opens new ones.
    db.on('error', () => undefined);
    await db.query(HANDLER_EFFECTS_TABLE);

    testApp = await startTestApp({
      adapter,
      databaseUrl: database.url,
      providers: [RecordingHandlers],
      vmeg: { lockTimeoutMs: 1000 },
    });
    handlers = testApp.app.get(RecordingHandlers);
  });

  afterAll(async () => {
    await testApp?.close();
    await db?.end();
    await database?.drop();
  });

  beforeEach(() => {
    handlers.calls.length = 0;
    handlers.failTimes.clear();
    handlers.delayMs.clear();
    handlers.throwValue = undefined;
  });

  async function row(pipelineKey: string) {
    const result = await db.query('SELECT * FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
    return result.rows[0];
  }

  async function effects(pipelineKey: string) {
    const result = await db.query('SELECT handler, attempt FROM handler_effects WHERE pipeline_key = $1 ORDER BY id', [pipelineKey]);
    return result.rows;
  }

  describe('new delivery', () => {
    it('stores it, runs its handlers and answers 200', async () => {
      const body = ttsBody();

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ pipelineKey: body.pipelineKey, outcome: 'processed' });
      const stored = await row(body.pipelineKey as string);
      expect(stored.status).toBe('processed');
      expect(stored.attempts).toBe(1);
      expect(stored.event).toBe('openapi-tts');
      expect(stored.task_id).toBe((body.data as { taskId: string }).taskId);
      expect(stored.code).toBe(200);
      expect(stored.payload).toEqual(body);
      expect(stored.processed_at).toBeInstanceOf(Date);
      expect(handlers.callsOf(body.pipelineKey as string).map((call) => call.handler)).toEqual(['onSpeech', 'onEvery']);
      expect(await effects(body.pipelineKey as string)).toHaveLength(2);
    });

    it('passes attempt 1 and the typed payload', async () => {
      const body = ttsBody();

      await sendSigned(testApp.url, body).expect(200);

      const [call] = handlers.callsOf(body.pipelineKey as string, 'onSpeech');
      expect(call.attempt).toBe(1);
      expect(call.event).toBe('openapi-tts');
    });

    it('routes an array subscription to both events', async () => {
      const translate = ttsBody({ event: 'openapi-translate', data: { taskId: 't-1', items: [{ text: 'Hola', errorMessage: '' }] } });
      const clone = ttsBody({ event: 'openapi-clone-voice', data: { taskId: 't-2', voiceId: 'voice-1' } });

      await sendSigned(testApp.url, translate).expect(200);
      await sendSigned(testApp.url, clone).expect(200);

      expect(handlers.callsOf(translate.pipelineKey as string, 'onTextOrVoice')).toHaveLength(1);
      expect(handlers.callsOf(clone.pipelineKey as string, 'onTextOrVoice')).toHaveLength(1);
      expect(handlers.callsOf(clone.pipelineKey as string, 'onSpeech')).toHaveLength(0);
    });

    it('stores an unknown event and runs only the * handler', async () => {
      const body = ttsBody({ event: 'openapi-lip-sync', data: { taskId: 'lip-1', futureField: { nested: [1, 2] } } });

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(200);
      expect((await row(body.pipelineKey as string)).status).toBe('processed');
      expect(handlers.callsOf(body.pipelineKey as string).map((call) => call.handler)).toEqual(['onEvery']);
    });

    it('dispatches a failed task (code 500) like any delivery', async () => {
      const body = ttsBody({ code: 500, message: 'synthesis failed', data: { taskId: 't-500', results: [] } });

      await sendSigned(testApp.url, body).expect(200);

      expect(handlers.callsOf(body.pipelineKey as string, 'onSpeech')).toHaveLength(1);
      expect((await row(body.pipelineKey as string)).code).toBe(500);
    });

    it('keeps fields of data that the module does not know', async () => {
      const body = ttsBody({ data: { taskId: 't-x', results: [], brandNewField: { deep: ['kept'] } } });

      await sendSigned(testApp.url, body).expect(200);

      expect((await row(body.pipelineKey as string)).payload.data.brandNewField).toEqual({ deep: ['kept'] });
    });

    it('verifies the exact bytes, whitespace and key order included', async () => {
      const key = newPipelineKey();
      const bytes = `{\n  "pipelineKey" : "${key}",\t"event":"openapi-tts", "code":200,\n "data":{"taskId":"ä-\\u00e4","results":[]} , "extraData":{"z":1,"a":2}}\n`;

      const response = await sendSigned(testApp.url, bytes);

      expect(response.status).toBe(200);
      expect((await row(key)).payload.data.taskId).toBe('ä-ä');
    });

    it('keeps large integers exactly in the stored payload', async () => {
      const key = newPipelineKey();
      const bytes = `{"pipelineKey":"${key}","event":"openapi-tts","code":200,"data":{"taskId":"big","size":12345678901234567890123}}`;

      await sendSigned(testApp.url, bytes).expect(200);

      const result = await db.query(`SELECT payload->'data'->>'size' AS size FROM vmeg_webhook_deliveries WHERE pipeline_key = $1`, [key]);
      expect(result.rows[0].size).toBe('12345678901234567890123');
    });
  });

  describe('signature', () => {
    it('accepts an uppercase hex signature', async () => {
      const body = JSON.stringify(ttsBody());
      const headers = signVmegRequest(TEST_SECRET, body);

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set('X-Timestamp', headers['X-Timestamp'])
        .set('X-Signature', headers['X-Signature'].toUpperCase())
        .send(body);

      expect(response.status).toBe(200);
    });

    it('rejects a wrong secret with 401 and stores nothing', async () => {
      const body = ttsBody();

      const response = await sendSigned(testApp.url, body, { secret: 'not-the-secret' });

      expect(response.status).toBe(401);
      expect(response.body.message).toBe('signature does not match');
      expect(await row(body.pipelineKey as string)).toBeUndefined();
      expect(handlers.calls).toHaveLength(0);
    });

    it('rejects a body changed after signing', async () => {
      const body = JSON.stringify(ttsBody());
      const headers = signVmegRequest(TEST_SECRET, body);

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set(headers)
        .send(body.replace('"code":200', '"code":201'));

      expect(response.status).toBe(401);
      expect(response.body.message).toBe('signature does not match');
    });

    it('rejects a body re-serialized with other whitespace', async () => {
      const object = ttsBody();
      const headers = signVmegRequest(TEST_SECRET, JSON.stringify(object));

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set(headers)
        .send(JSON.stringify(object, null, 2));

      expect(response.status).toBe(401);
    });

    const malformedSignatures: [string, string][] = [
      ['empty', ''],
      ['short', 'abcd'],
      ['63 digits', 'a'.repeat(63)],
      ['65 digits', 'a'.repeat(65)],
      ['128 digits', 'a'.repeat(128)],
      ['non-hex', 'g'.repeat(64)],
      ['base64 of a digest', Buffer.alloc(32, 7).toString('base64')],
      ['prefixed', `sha256=${'a'.repeat(64)}`],
    ];

    it.each(malformedSignatures)('rejects a %s signature with a clean 401', async (_name, signature) => {
      const body = JSON.stringify(ttsBody());
      const { 'X-Timestamp': timestamp } = signVmegRequest(TEST_SECRET, body);

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set('X-Timestamp', timestamp)
        .set('X-Signature', signature)
        .send(body);

      expect(response.status).toBe(401);
      expect(response.body.message).toMatch(/X-Signature|signature/);
    });

    it('rejects a missing X-Signature with 401', async () => {
      const body = JSON.stringify(ttsBody());

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set('X-Timestamp', String(Date.now()))
        .send(body);

      expect(response.status).toBe(401);
      expect(response.body.message).toBe('missing X-Signature header');
    });

    it('rejects a missing X-Timestamp with 401', async () => {
      const body = JSON.stringify(ttsBody());
      const { 'X-Signature': signature } = signVmegRequest(TEST_SECRET, body);

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set('X-Signature', signature)
        .send(body);

      expect(response.status).toBe(401);
      expect(response.body.message).toBe('missing X-Timestamp header');
    });

    it('rejects a timestamp older than the window', async () => {
      const response = await sendSigned(testApp.url, ttsBody(), { timestampMs: Date.now() - 301_000 });

      expect(response.status).toBe(401);
      expect(response.body.message).toContain('outside the 300 s window');
    });

    it('rejects a timestamp further ahead than the window', async () => {
      const response = await sendSigned(testApp.url, ttsBody(), { timestampMs: Date.now() + 301_000 });

      expect(response.status).toBe(401);
      expect(response.body.message).toContain('outside the 300 s window');
    });

    it('accepts a timestamp inside the window in both directions', async () => {
      await sendSigned(testApp.url, ttsBody(), { timestampMs: Date.now() - 290_000 }).expect(200);
      await sendSigned(testApp.url, ttsBody(), { timestampMs: Date.now() + 290_000 }).expect(200);
    });

    it('rejects a timestamp in seconds and says so', async () => {
      const body = JSON.stringify(ttsBody());
      const seconds = String(Math.floor(Date.now() / 1000));
      const headers = signVmegRequest(TEST_SECRET, body, Number(seconds));

      const response = await request(testApp.url)
        .post(WEBHOOK_PATH)
        .set('Content-Type', 'application/json')
        .set(headers)
        .send(body);

      expect(headers['X-Timestamp']).toBe(seconds);
      expect(response.status).toBe(401);
      expect(response.body.message).toBe('X-Timestamp is in seconds; it must be Unix epoch milliseconds');
    });

    it.each([['not a number', 'yesterday'], ['negative', '-1700000000000'], ['fractional', '1700000000000.5'], ['hex', '0x18c']])(
      'rejects a %s timestamp with 401',
      async (_name, timestamp) => {
        const body = JSON.stringify(ttsBody());

        const response = await request(testApp.url)
          .post(WEBHOOK_PATH)
          .set('Content-Type', 'application/json')
          .set('X-Timestamp', timestamp)
          .set('X-Signature', 'a'.repeat(64))
          .send(body);

        expect(response.status).toBe(401);
        expect(response.body.message).toBe('X-Timestamp must be Unix epoch milliseconds as a decimal string');
      },
    );

    it('never puts the secret or the expected signature in the answer', async () => {
      const body = JSON.stringify(ttsBody());
      const headers = signVmegRequest('wrong-secret', body);
      const expected = signVmegRequest(TEST_SECRET, body, Number(headers['X-Timestamp']))['X-Signature'];

      const response = await request(testApp.url).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set(headers).send(body);

      expect(response.status).toBe(401);
      expect(response.text).not.toContain(TEST_SECRET);
      expect(response.text).not.toContain(expected);
      expect(response.text).not.toContain(headers['X-Signature']);
    });
  });

  describe('body', () => {
    const invalidBodies: [string, string, RegExp][] = [
      // Express's body parser rejects broken JSON before the guard, with its own message.
      ['not JSON', '{"pipelineKey": ', /JSON/],
      ['a JSON array', '[1,2,3]', /must be a JSON object/],
      ['missing pipelineKey', JSON.stringify({ event: 'openapi-tts', code: 200, data: {} }), /"pipelineKey" is missing/],
      ['empty pipelineKey', JSON.stringify({ pipelineKey: '', event: 'openapi-tts', code: 200, data: {} }), /"pipelineKey" must be 1 to 128/],
      ['numeric pipelineKey', JSON.stringify({ pipelineKey: 12, event: 'openapi-tts', code: 200, data: {} }), /"pipelineKey" must be a string/],
      ['long pipelineKey', JSON.stringify({ pipelineKey: 'k'.repeat(129), event: 'openapi-tts', code: 200, data: {} }), /"pipelineKey" must be 1 to 128/],
      ['pipelineKey with spaces', JSON.stringify({ pipelineKey: 'a b', event: 'openapi-tts', code: 200, data: {} }), /"pipelineKey"/],
      ['missing event', JSON.stringify({ pipelineKey: 'k1', code: 200, data: {} }), /"event" is missing/],
      ['numeric event', JSON.stringify({ pipelineKey: 'k1', event: 7, code: 200, data: {} }), /"event" must be/],
      ['missing code', JSON.stringify({ pipelineKey: 'k1', event: 'openapi-tts', data: {} }), /"code" must be an integer/],
      ['string code', JSON.stringify({ pipelineKey: 'k1', event: 'openapi-tts', code: '200', data: {} }), /"code" must be an integer, got a string/],
      ['fractional code', JSON.stringify({ pipelineKey: 'k1', event: 'openapi-tts', code: 200.5, data: {} }), /"code" must be an integer/],
      ['missing data', JSON.stringify({ pipelineKey: 'k1', event: 'openapi-tts', code: 200 }), /"data" must be a JSON object/],
      ['array data', JSON.stringify({ pipelineKey: 'k1', event: 'openapi-tts', code: 200, data: [] }), /"data" must be a JSON object, got an array/],
      ['numeric message', JSON.stringify({ pipelineKey: 'k1', event: 'openapi-tts', code: 200, data: {}, message: 5 }), /"message" must be a JSON string/],
    ];

    it.each(invalidBodies)('answers 400 for %s and runs no handler', async (_name, bytes, message) => {
      const response = await sendSigned(testApp.url, bytes);

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(message);
      expect(handlers.calls).toHaveLength(0);
    });

    it('answers 400 for a NUL escape that jsonb cannot store', async () => {
      const key = newPipelineKey();
      const bytes = `{"pipelineKey":"${key}","event":"openapi-tts","code":200,"data":{"taskId":"nul-\\u0000"}}`;

      const response = await sendSigned(testApp.url, bytes);

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/cannot be stored as PostgreSQL jsonb/);
      expect(await row(key)).toBeUndefined();
    });

    it('answers 400 for invalid UTF-8', async () => {
      const bytes = Buffer.concat([Buffer.from('{"pipelineKey":"k-utf8","event":"openapi-tts","code":200,"data":{"t":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);

      const response = await sendSigned(testApp.url, bytes);

      expect(response.status).toBe(400);
    });

    it('answers 415 for a body that is not application/json', async () => {
      const response = await sendSigned(testApp.url, JSON.stringify(ttsBody()), { contentType: 'text/plain' });

      expect(response.status).toBe(415);
    });

    it('answers 413 beyond the body limit', async () => {
      const limit = adapter === 'express' ? 100 * 1024 : 1024 * 1024;
      const body = ttsBody({ data: { taskId: 'big', padding: 'x'.repeat(limit + 1) } });

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(413);
      expect(await row(body.pipelineKey as string)).toBeUndefined();
    });
  });

  describe('duplicates', () => {
    it('answers 200 for a processed key without running handlers or rewriting the row', async () => {
      const body = ttsBody();
      await sendSigned(testApp.url, body).expect(200);
      const before = await row(body.pipelineKey as string);
      handlers.calls.length = 0;

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(200);
      expect(response.body.outcome).toBe('duplicate');
      expect(handlers.calls).toHaveLength(0);
      expect(await row(body.pipelineKey as string)).toEqual(before);
      expect(await effects(body.pipelineKey as string)).toHaveLength(2);
    });

    it('runs the handler once for 20 concurrent copies', async () => {
      const body = ttsBody();
      const bytes = JSON.stringify(body);
      handlers.delayMs.set(body.pipelineKey as string, 200);

      const responses = await Promise.all(Array.from({ length: 20 }, () => sendSigned(testApp.url, bytes)));

      const statuses = responses.map((response) => response.status);
      expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
      expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
      expect(handlers.callsOf(body.pipelineKey as string, 'onSpeech')).toHaveLength(1);
      expect(await effects(body.pipelineKey as string)).toHaveLength(2);
      expect(responses.filter((response) => response.body.outcome === 'processed')).toHaveLength(1);
    });

    it('answers no copy 2xx before the delivery is committed as processed', async () => {
      const body = ttsBody();
      const bytes = JSON.stringify(body);
      handlers.delayMs.set(body.pipelineKey as string, 300);

      const checks = Array.from({ length: 10 }, async () => {
        const response = await sendSigned(testApp.url, bytes);
        const status = (await row(body.pipelineKey as string))?.status;
        return { code: response.status, status };
      });
      const results = await Promise.all(checks);

      for (const result of results.filter((result) => result.code === 200)) {
        expect(result.status).toBe('processed');
      }
    });

    it('answers 409 when the key is held past the lock time-out', async () => {
      const body = ttsBody();
      const holder = new Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(
          `INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status) VALUES ($1, 'openapi-tts', 200, '{}', 'processing')`,
          [body.pipelineKey],
        );
        const started = Date.now();

        const response = await sendSigned(testApp.url, body);

        expect(response.status).toBe(409);
        expect(response.body.message).toContain('is being processed by another request');
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(handlers.calls).toHaveLength(0);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
    });

    it('answers 409 for a delivery a worker has claimed', async () => {
      const body = ttsBody();
      await db.query(
        `INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status, attempts, locked_by) VALUES ($1, 'openapi-tts', 200, '{}', 'processing', 1, 'worker-on-another-instance')`,
        [body.pipelineKey],
      );

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(409);
      expect(handlers.callsOf(body.pipelineKey as string)).toHaveLength(0);
      expect((await row(body.pipelineKey as string)).status).toBe('processing');
    });

    it('processes the delivery after a 409 once the other request gave up', async () => {
      const body = ttsBody();
      const holder = new Client({ connectionString: database.url });
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status) VALUES ($1, 'openapi-tts', 200, '{}', 'processing')`,
        [body.pipelineKey],
      );
      await sendSigned(testApp.url, body).expect(409);
      await holder.query('ROLLBACK');
      await holder.end();

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(200);
      expect(response.body.outcome).toBe('processed');
    });
  });

  describe('handler failure', () => {
    it('rolls back its writes, records the attempt and answers 500', async () => {
      const body = ttsBody();
      handlers.failTimes.set(body.pipelineKey as string, 1);

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(500);
      expect(response.body.message).toContain('handler RecordingHandlers.onSpeech failed');
      expect(response.text).not.toContain('planned failure');
      const stored = await row(body.pipelineKey as string);
      expect(stored.status).toBe('failed');
      expect(stored.attempts).toBe(1);
      expect(stored.last_error).toContain('RecordingHandlers.onSpeech: planned failure of onSpeech');
      expect(stored.processed_at).toBeNull();
      expect(await effects(body.pipelineKey as string)).toHaveLength(0);
    });

    it('runs the handlers again on the next delivery of the key', async () => {
      const body = ttsBody();
      handlers.failTimes.set(body.pipelineKey as string, 2);
      await sendSigned(testApp.url, body).expect(500);
      await sendSigned(testApp.url, body).expect(500);

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(200);
      expect(response.body.outcome).toBe('processed');
      expect(handlers.callsOf(body.pipelineKey as string, 'onSpeech').map((call) => call.attempt)).toEqual([1, 2, 3]);
      const stored = await row(body.pipelineKey as string);
      expect(stored.status).toBe('processed');
      expect(stored.attempts).toBe(3);
      expect(stored.last_error).toBeNull();
      expect(await effects(body.pipelineKey as string)).toEqual([
        { handler: 'onSpeech', attempt: 3 },
        { handler: 'onEvery', attempt: 3 },
      ]);
    });

    it('handles a rejection with a non-Error value', async () => {
      const body = ttsBody();
      handlers.failTimes.set(body.pipelineKey as string, 1);
      handlers.throwValue = { reason: 'plain object' };

      const response = await sendSigned(testApp.url, body);

      expect(response.status).toBe(500);
      expect((await row(body.pipelineKey as string)).last_error).toContain('non-Error value thrown');
    });

    it('logs the failure with the pipelineKey and no payload contents', async () => {
      const body = ttsBody({ extraData: { customerNote: 'confidential-note-4711' } });
      handlers.failTimes.set(body.pipelineKey as string, 1);

      await sendSigned(testApp.url, body).expect(500);

      const errors = testApp.logger.visible().filter((line) => line.text.includes(body.pipelineKey as string));
      expect(errors.some((line) => line.level === 'error' && line.text.includes('RecordingHandlers.onSpeech'))).toBe(true);
      expect(testApp.logger.visible().some((line) => line.text.includes('confidential-note-4711'))).toBe(false);
    });
  });

  describe('logs', () => {
    it('logs a rejected signature with its reason, without secret or signature', async () => {
      const body = JSON.stringify(ttsBody());
      const headers = signVmegRequest('forger-secret', body);

      await request(testApp.url).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set(headers).send(body).expect(401);

      const warnings = testApp.logger.matching(/signature does not match/);
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings[0].level).toBe('warn');
      const visible = testApp.logger.visible().map((line) => line.text).join('\n');
      expect(visible).not.toContain(TEST_SECRET);
      expect(visible).not.toContain('forger-secret');
      expect(visible).not.toContain(headers['X-Signature']);
    });

    it('logs stored and duplicate deliveries at debug only', async () => {
      const body = ttsBody();
      await sendSigned(testApp.url, body).expect(200);
      await sendSigned(testApp.url, body).expect(200);

      const lines = testApp.logger.matching(new RegExp(body.pipelineKey as string));
      expect(lines.some((line) => /Stored and processed/.test(line.text))).toBe(true);
      expect(lines.some((line) => /Duplicate/.test(line.text))).toBe(true);
      expect(lines.every((line) => line.level === 'debug')).toBe(true);
    });
  });

  describe('database failure', () => {
    it('answers 503 when the table is gone, never 2xx', async () => {
      await db.query('ALTER TABLE vmeg_webhook_deliveries RENAME TO vmeg_webhook_deliveries_away');
      try {
        const response = await sendSigned(testApp.url, ttsBody());

        expect(response.status).toBe(503);
        expect(handlers.calls).toHaveLength(0);
      } finally {
        await db.query('ALTER TABLE vmeg_webhook_deliveries_away RENAME TO vmeg_webhook_deliveries');
      }
    });

    it('answers 503 when the database refuses connections', async () => {
      const maintenanceUrl = new URL(database.url);
      const name = maintenanceUrl.pathname.slice(1);
      maintenanceUrl.pathname = '/postgres';
      const admin = new Client({ connectionString: maintenanceUrl.toString() });
      await admin.connect();
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const body = ttsBody();
      try {
        const response = await sendSigned(testApp.url, body);

        expect(response.status).toBe(503);
        expect(response.body.message).toContain('could not be stored');
      } finally {
        await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      }

      const retry = await sendSigned(testApp.url, body);
      expect(retry.status).toBe(200);
      expect((await row(body.pipelineKey as string)).status).toBe('processed');
    });
  });
});
