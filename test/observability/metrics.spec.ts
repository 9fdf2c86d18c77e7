import { Registry } from 'prom-client';
import request from 'supertest';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signVmegRequest } from '../../src';
import { sendSigned, ttsBody, WEBHOOK_PATH } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';

/**
 * Returns the value of one sample of a metric, or undefined when absent. A
 * histogram's `_count` sample is read from the histogram named without it.
 */
async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metricName = name.replace(/_count$/, '');
  const metric = await registry.getSingleMetric(metricName)?.get();
  const match = metric?.values.find(
    (value) =>
      ((value as { metricName?: string }).metricName ?? metricName) === name &&
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return match?.value;
}

describe('prometheus metrics', () => {
  let database: TestDatabase;
  let db: Client;
  let inline: TestApp;
  let queued: QueuedApp;
  const inlineRegistry = new Registry();
  const queuedRegistry = new Registry();

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    inline = await startTestApp({
      adapter: 'express',
      databaseUrl: database.url,
      providers: [RecordingHandlers],
      vmeg: { dispatch: 'inline', metrics: { registry: inlineRegistry } },
    });
    queued = await startQueuedApp(database.url, { maxAttempts: 1 });
  });

  afterAll(async () => {
    await inline?.close();
    await queued?.close();
    await db?.end();
    await database?.drop();
  });

  it('counts inline outcomes and rejections by reason', async () => {
    const body = ttsBody();
    await sendSigned(inline.url, body).expect(200);
    await sendSigned(inline.url, body).expect(200);
    await sendSigned(inline.url, ttsBody(), { secret: 'forged' }).expect(401);
    await sendSigned(inline.url, '{"event":"openapi-tts"}').expect(400);
    const failing = ttsBody();
    inline.app.get(RecordingHandlers).failTimes.set(failing.pipelineKey as string, 1);
    await sendSigned(inline.url, failing).expect(500);

    expect(await sample(inlineRegistry, 'vmeg_webhook_deliveries_total', { event: 'openapi-tts', outcome: 'processed' })).toBe(1);
    expect(await sample(inlineRegistry, 'vmeg_webhook_deliveries_total', { event: 'openapi-tts', outcome: 'duplicate' })).toBe(1);
    expect(await sample(inlineRegistry, 'vmeg_webhook_deliveries_total', { event: 'openapi-tts', outcome: 'failed' })).toBe(1);
    expect(await sample(inlineRegistry, 'vmeg_webhook_deliveries_total', { outcome: 'rejected', reason: 'signature_mismatch' })).toBe(1);
    expect(await sample(inlineRegistry, 'vmeg_webhook_deliveries_total', { outcome: 'rejected', reason: 'invalid_body' })).toBe(1);
    expect(await sample(inlineRegistry, 'vmeg_webhook_handler_duration_seconds_count', { handler: 'RecordingHandlers.onSpeech', result: 'success' })).toBe(1);
    expect(await sample(inlineRegistry, 'vmeg_webhook_handler_duration_seconds_count', { handler: 'RecordingHandlers.onSpeech', result: 'failure' })).toBe(1);
  });

  it('counts an unsupported media type as a rejection', async () => {
    const body = JSON.stringify(ttsBody());

    await request(inline.url).post(WEBHOOK_PATH).set('Content-Type', 'text/plain').set(signVmegRequest('any', body)).send(body).expect(415);

    expect(await sample(inlineRegistry, 'vmeg_webhook_deliveries_total', { outcome: 'rejected', reason: 'unsupported_media_type' })).toBe(1);
  });

  it('reports queued outcomes and the inbox gauges', async () => {
    // The queued app uses prom-client's default registry, as apps that pass no registry do.
    const { register } = await import('prom-client');
    const dead = ttsBody();
    queued.handlers.failTimes.set(dead.pipelineKey as string, 1);
    await sendSigned(queued.url, ttsBody()).expect(200);
    await sendSigned(queued.url, dead).expect(200);
    await queued.inbox.waitUntilDrained({ timeoutMs: 20_000 });

    expect(await sample(register, 'vmeg_webhook_deliveries_total', { event: 'openapi-tts', outcome: 'queued' })).toBe(2);
    expect(await sample(register, 'vmeg_webhook_deliveries_total', { event: 'openapi-tts', outcome: 'processed' })).toBe(1);
    expect(await sample(register, 'vmeg_webhook_deliveries_total', { event: 'openapi-tts', outcome: 'dead' })).toBe(1);
    expect(await sample(register, 'vmeg_webhook_inbox_deliveries', { status: 'dead' })).toBe(1);
    expect(await sample(register, 'vmeg_webhook_inbox_deliveries', { status: 'pending' })).toBe(0);
    expect(await sample(register, 'vmeg_webhook_inbox_oldest_pending_seconds', {})).toBe(0);
    expect(await register.metrics()).toContain('vmeg_webhook_handler_duration_seconds_bucket');
  });

  it('turns off with metrics: false', async () => {
    const { register } = await import('prom-client');
    const processedBefore = await sample(register, 'vmeg_webhook_deliveries_total', { event: 'openapi-clone-voice', outcome: 'processed' });
    const app = await startTestApp({ adapter: 'express', databaseUrl: database.url, vmeg: { metrics: false } });
    try {
      await sendSigned(app.url, ttsBody({ event: 'openapi-clone-voice', data: { taskId: 'voice-task' } })).expect(200);

      expect(processedBefore).toBeUndefined();
      expect(await sample(register, 'vmeg_webhook_deliveries_total', { event: 'openapi-clone-voice', outcome: 'processed' })).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
