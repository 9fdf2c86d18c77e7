import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPipelineKey, sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase } from '../support/inbox-fixture';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/hostile-bodies.spec.ts';

/** Builds a signed delivery whose `data.deep` is `depth` nested arrays. */
function nestedBody(depth: number): { key: string; bytes: string } {
  const key = newPipelineKey();
  return { key, bytes: `{"pipelineKey":"${key}","event":"openapi-tts","code":200,"data":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}` };
}

describe.each(HTTP_ADAPTERS)('hostile bodies over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;
  const apps: Record<'queued' | 'inline', TestApp> = {} as Record<'queued' | 'inline', TestApp>;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    // 45 000 levels of nesting take 90 kB, under Express's default limit of 100 KiB.
    apps.queued = await startTestApp({ adapter, databaseUrl: database.url, vmeg: { dispatch: 'queued', worker: { enabled: false } } });
    apps.inline = await startTestApp({ adapter, databaseUrl: database.url, vmeg: { dispatch: 'inline' } });
  });

  afterAll(async () => {
    await apps.queued?.close();
    await apps.inline?.close();
    await db?.end();
    await database?.drop();
  });

  async function stored(key: string): Promise<number> {
    const { rows } = await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [key]);
    return rows[0].count;
  }

  describe.each(['queued', 'inline'] as const)('%s dispatch', (dispatch) => {
    it('answers 400 for nesting jsonb cannot parse', async () => {
      const { key, bytes } = nestedBody(45_000);

      const response = await sendSigned(apps[dispatch].url, bytes);

      printSummary(FILE, `${adapter} ${dispatch} nesting 45000`, { inputs: 1, status: response.status, stored: await stored(key) });
      expect(response.status).toBe(400);
      expect(response.body.message).toContain('cannot be stored as PostgreSQL jsonb');
      expect(await stored(key)).toBe(0);
    });

    it('stores nesting that jsonb can parse', async () => {
      const { key, bytes } = nestedBody(1_000);

      const response = await sendSigned(apps[dispatch].url, bytes);

      printSummary(FILE, `${adapter} ${dispatch} nesting 1000`, { inputs: 1, status: response.status, stored: await stored(key) });
      expect(response.status).toBe(200);
      expect(await stored(key)).toBe(1);
    });
  });

  it('answers 415 for an application/*+json body', async () => {
    const body = ttsBody();

    const response = await sendSigned(apps.queued.url, body, { contentType: 'application/vnd.vmeg+json' });

    printSummary(FILE, `${adapter} application/vnd.vmeg+json`, { inputs: 1, status: response.status });
    expect(response.status).toBe(415);
    expect(await stored(body.pipelineKey as string)).toBe(0);
  });

  it('logs no set-up error for an application/*+json body', async () => {
    const response = await sendSigned(apps.inline.url, ttsBody(), { contentType: 'application/problem+json' });

    printSummary(FILE, `${adapter} application/problem+json`, { inputs: 1, status: response.status, 'set-up-errors-logged': apps.inline.logger.matching(/rawBody/).length });
    expect(apps.inline.logger.matching(/rawBody/)).toEqual([]);
  });
});
