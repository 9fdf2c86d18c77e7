import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMediaTranslationPayload } from '../../src/testing';
import { sendSigned, ttsBody } from '../support/deliveries';
import { HTTP_ADAPTERS, runVmegMigrations, startTestApp, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const MIB = 1024 * 1024;
const RAW_BODY_FIX = '{ rawBody: true }';

/**
 * Builds the body of a media translation of a long video. It is the sample
 * delivery with its recognized and translated scripts repeated until the JSON
 * text is at least `minBytes` long.
 */
function longMediaTranslationBody(minBytes: number): string {
  const payload = buildMediaTranslationPayload();
  const result = payload.data.result!;
  const asrSample = result.asrScripts!.asrResults![0];
  const translatedSample = result.translatedScripts!.result![0];

  const segmentBytes = Buffer.byteLength(JSON.stringify(asrSample)) + Buffer.byteLength(JSON.stringify(translatedSample));
  const segments = Math.ceil(minBytes / segmentBytes);
  const segmentMs = 4_000;

  result.asrScripts!.asrResults = Array.from({ length: segments }, (_, index) => ({
    ...asrSample,
    id: String(index + 1),
    start: index * segmentMs,
    end: (index + 1) * segmentMs - 200,
  }));
  result.translatedScripts!.result = Array.from({ length: segments }, (_, index) => ({
    ...translatedSample,
    id: String(index + 1),
    start: index * segmentMs,
    end: (index + 1) * segmentMs - 200,
  }));

  return JSON.stringify(payload);
}

describe.each(HTTP_ADAPTERS)('raw body over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    await runVmegMigrations(database.url);
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  async function storedCount(pipelineKey: string): Promise<number> {
    const result = await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
    return result.rows[0].count;
  }

  describe('app without rawBody', () => {
    let withoutRawBody: TestApp;

    // Nest's static Logger writes to the logger of the app created last, so
    // this app must not start while another one is running.
    beforeAll(async () => {
      withoutRawBody = await startTestApp({ adapter, databaseUrl: database.url, rawBody: false });
    });

    afterAll(async () => {
      await withoutRawBody?.close();
    });

    it('answers 500 with the fix', async () => {
      const response = await sendSigned(withoutRawBody.url, ttsBody());

      expect(response.status).toBe(500);
      expect(response.body.message).toContain(RAW_BODY_FIX);
    });

    it('stores nothing', async () => {
      const body = ttsBody();

      await sendSigned(withoutRawBody.url, body).expect(500);

      expect(await storedCount(body.pipelineKey as string)).toBe(0);
    });

    it('logs one error line with the fix', async () => {
      await sendSigned(withoutRawBody.url, ttsBody()).expect(500);
      await sendSigned(withoutRawBody.url, ttsBody()).expect(500);

      const errors = withoutRawBody.logger.lines.filter((line) => line.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0].text).toContain(RAW_BODY_FIX);
    });

    it('answers 500 for any signature', async () => {
      const response = await sendSigned(withoutRawBody.url, ttsBody(), { secret: 'not-the-secret' });

      expect(response.status).toBe(500);
    });
  });

  describe('body limit', () => {
    let raisedLimit: TestApp;
    let defaultLimit: TestApp;
    const twoMegabyteBody = longMediaTranslationBody(2 * MIB);

    beforeAll(async () => {
      raisedLimit = await startTestApp({ adapter, databaseUrl: database.url, bodyLimit: 5 * MIB });
      defaultLimit = await startTestApp({ adapter, databaseUrl: database.url });
    });

    afterAll(async () => {
      await raisedLimit?.close();
      await defaultLimit?.close();
    });

    it('sample body exceeds 2 MiB', () => {
      expect(Buffer.byteLength(twoMegabyteBody)).toBeGreaterThanOrEqual(2 * MIB);
      expect(Buffer.byteLength(twoMegabyteBody)).toBeLessThan(3 * MIB);
    });

    it('raised limit accepts 2 MiB', async () => {
      const pipelineKey = JSON.parse(twoMegabyteBody).pipelineKey as string;

      const response = await sendSigned(raisedLimit.url, twoMegabyteBody);

      expect(response.status).toBe(200);
      expect(await storedCount(pipelineKey)).toBe(1);
    });

    it('raised limit stores the exact payload', async () => {
      const body = longMediaTranslationBody(2 * MIB);
      const pipelineKey = JSON.parse(body).pipelineKey as string;

      await sendSigned(raisedLimit.url, body).expect(200);

      const result = await db.query('SELECT payload FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
      expect(result.rows[0].payload).toEqual(JSON.parse(body));
    });

    it('default limit answers 413', async () => {
      const body = longMediaTranslationBody(2 * MIB);
      const pipelineKey = JSON.parse(body).pipelineKey as string;

      const response = await sendSigned(defaultLimit.url, body);

      expect(response.status).toBe(413);
      expect(await storedCount(pipelineKey)).toBe(0);
    });
  });
});
