import type { Client } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signVmegRequest, VmegInbox } from '../../src';
import { sendSigned, ttsBody, WEBHOOK_PATH } from '../support/deliveries';
import { createInboxDatabase, FAST_WORKER } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/secrets.spec.ts';
const OLD_SECRET = 'whsec_rotation_old_2b4d6f8a0c1e3a5b';
const NEW_SECRET = 'whsec_rotation_new_9f7e5d3c1b0a8e6c';

/**
 * Rotation as an operator does it, one restart per step: the old secret
 * alone, both secrets, then the new one alone. The apps run in queued mode
 * and only the last one runs the worker, so deliveries acknowledged under
 * the old secret are processed after it was removed.
 */
describe.each(HTTP_ADAPTERS)('secret rotation over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;
  let app: TestApp | undefined;
  const logLines: string[] = [];
  const responseTexts: string[] = [];
  let debugLines = 0;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
  });

  afterAll(async () => {
    await app?.close();
    await db?.end();
    await database?.drop();
  });

  async function restartWith(secret: string[], workerEnabled: boolean): Promise<TestApp> {
    if (app !== undefined) {
      await app.close();
      collectLogs(app);
    }
    app = await startTestApp({
      adapter,
      databaseUrl: database.url,
      providers: [RecordingHandlers],
      vmeg: { secret, dispatch: 'queued', worker: { ...FAST_WORKER, enabled: workerEnabled } },
    });
    return app;
  }

  function collectLogs(closed: TestApp): void {
    logLines.push(...closed.logger.lines.map((line) => line.text));
    debugLines += closed.logger.lines.filter((line) => line.level === 'debug').length;
  }

  async function send(target: TestApp, body: Record<string, unknown>, secret: string): Promise<number> {
    const response = await sendSigned(target.url, body, { secret });
    responseTexts.push(response.text);
    return response.status;
  }

  /** Sends requests that fail in every way the module logs: forged, malformed, stale and invalid. */
  async function sendFailures(target: TestApp): Promise<void> {
    const bytes = JSON.stringify(ttsBody());
    const valid = signVmegRequest(NEW_SECRET, bytes);
    const variants: Record<string, string>[] = [
      { 'X-Timestamp': valid['X-Timestamp'], 'X-Signature': valid['X-Signature'].slice(0, 63) },
      { 'X-Timestamp': valid['X-Timestamp'] },
      { 'X-Timestamp': String(Date.now() - 3_600_000), 'X-Signature': signVmegRequest(NEW_SECRET, bytes, Date.now() - 3_600_000)['X-Signature'] },
      { 'X-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-Signature': valid['X-Signature'] },
      signVmegRequest('forged-secret', bytes),
    ];
    for (const headers of variants) {
      const response = await request(target.url).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set(headers).send(bytes);
      responseTexts.push(response.text);
    }
    const invalid = await sendSigned(target.url, '{"pipelineKey": 12}', { secret: NEW_SECRET });
    responseTexts.push(invalid.text);
  }

  it('keeps every delivery across the rotation and logs no secret', async () => {
    const statuses: Record<string, number[]> = { oldOnly: [], both: [], newOnly: [] };
    const acknowledged: string[] = [];

    const oldOnly = await restartWith([OLD_SECRET], false);
    for (const secret of [OLD_SECRET, NEW_SECRET]) {
      const body = ttsBody();
      statuses.oldOnly.push(await send(oldOnly, body, secret));
      acknowledged.push(body.pipelineKey as string);
    }
    await sendFailures(oldOnly);

    const both = await restartWith([OLD_SECRET, NEW_SECRET], false);
    for (const secret of [OLD_SECRET, NEW_SECRET]) {
      const body = ttsBody();
      statuses.both.push(await send(both, body, secret));
      acknowledged.push(body.pipelineKey as string);
    }
    await sendFailures(both);

    const newOnly = await restartWith([NEW_SECRET], true);
    newOnly.app.get(RecordingHandlers).failTimes.set(acknowledged[0], 1);
    for (const secret of [OLD_SECRET, NEW_SECRET]) {
      const body = ttsBody();
      statuses.newOnly.push(await send(newOnly, body, secret));
      acknowledged.push(body.pipelineKey as string);
    }
    await sendFailures(newOnly);
    await newOnly.app.get(VmegInbox).waitUntilDrained({ timeoutMs: 20_000 });
    await newOnly.close();
    collectLogs(newOnly);
    app = undefined;

    // Keys 1 (new secret, old-only app) and 5 (old secret, new-only app) were rejected.
    const accepted = [acknowledged[0], acknowledged[2], acknowledged[3], acknowledged[5]];
    const { rows } = await db.query(`SELECT pipeline_key, status FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1) ORDER BY id`, [acknowledged]);
    const stored = await db.query('SELECT string_agg(coalesce(last_error, \'\'), \'\n\') AS errors FROM vmeg_webhook_deliveries');

    printSummary(FILE, adapter, {
      'log-lines': logLines.length,
      'debug-lines': debugLines,
      responses: responseTexts.length,
      'secret-in-logs': logLines.filter((line) => line.includes(OLD_SECRET) || line.includes(NEW_SECRET)).length,
      'secret-in-responses': responseTexts.filter((text) => text.includes(OLD_SECRET) || text.includes(NEW_SECRET)).length,
    });

    expect(statuses).toEqual({ oldOnly: [200, 401], both: [200, 200], newOnly: [401, 200] });
    expect(rows.map((row) => row.pipeline_key)).toEqual(accepted);
    expect(rows.map((row) => row.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect(debugLines).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes('Rejected a webhook request'))).toBe(true);
    expect(logLines.some((line) => line.includes('planned failure'))).toBe(true);
    for (const secret of [OLD_SECRET, NEW_SECRET]) {
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
      expect(responseTexts.filter((text) => text.includes(secret))).toEqual([]);
      expect(stored.rows[0].errors ?? '').not.toContain(secret);
    }
  }, 60_000);
});
