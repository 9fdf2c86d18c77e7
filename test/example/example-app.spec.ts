import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmegInbox, type VmegWebhookPayload } from '../../src';
import { AppModule } from '../../src/example/app.module';
import { prepareExampleApp } from '../../src/example/bootstrap';
import { MediaAsset } from '../../src/example/media-asset.entity';
import {
  buildCloneVoicePayload,
  buildFailedCloneVoicePayload,
  buildFailedMediaTranslationPayload,
  buildFailedTranslatePayload,
  buildFailedTtsPayload,
  buildMediaTranslationPayload,
  buildTranslatePayload,
  buildTtsPayload,
  signVmegRequest,
} from '../../src/testing';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

// The example app's handlers, tested the way an app tests its own: the whole
// AppModule on a real database, deliveries signed and sent over HTTP, and
// assertions on the rows that the handlers wrote once the worker is done.

const SECRET = 'example-app-test-secret';

interface DeliveryRow {
  status: string;
  attempts: number;
  event: string;
  code: number;
  task_id: string | null;
  last_error: string | null;
  processed_at: Date | null;
}

describe('example app handlers', () => {
  let database: TestDatabase;
  let app: NestExpressApplication;
  let inbox: VmegInbox;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();

    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ databaseUrl: database.url, secret: SECRET })],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ rawBody: true, logger: ['error', 'warn'] });
    // The same body limit and migrations as in production, before the module checks its table at start-up.
    await prepareExampleApp(app);
    await app.listen(0, '127.0.0.1');

    inbox = app.get(VmegInbox);
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  /** Signs and POSTs the payload as VMEG would, then waits until the worker has run its handlers. */
  async function deliver(payload: VmegWebhookPayload | string): Promise<request.Response> {
    // The signature covers the exact bytes, so sign the string that is sent.
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const response = await request(app.getHttpServer())
      .post('/webhooks/vmeg')
      .set('Content-Type', 'application/json')
      .set(signVmegRequest(SECRET, body))
      .send(body);

    await inbox.waitUntilDrained({ timeoutMs: 10_000 });
    return response;
  }

  function findAsset(pipelineKey: string): Promise<MediaAsset | null> {
    return dataSource.getRepository(MediaAsset).findOneBy({ pipelineKey });
  }

  async function findDelivery(pipelineKey: string): Promise<DeliveryRow | undefined> {
    const rows: DeliveryRow[] = await dataSource.query(
      'SELECT status, attempts, event, code, task_id, last_error, processed_at FROM vmeg_webhook_deliveries WHERE pipeline_key = $1',
      [pipelineKey],
    );
    return rows[0];
  }

  async function countAssets(pipelineKey: string): Promise<number> {
    return dataSource.getRepository(MediaAsset).countBy({ pipelineKey });
  }

  it('records a TTS task as a ready speech asset', async () => {
    const payload = buildTtsPayload();

    const response = await deliver(payload);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ pipelineKey: payload.pipelineKey, outcome: 'queued' });

    const asset = await findAsset(payload.pipelineKey);
    expect(asset).toMatchObject({
      taskId: payload.data.taskId,
      kind: 'speech',
      status: 'ready',
      itemCount: 2,
      failedItemCount: 0,
      outputUrl: null,
      voiceId: null,
      failureMessage: null,
    });

    const delivery = await findDelivery(payload.pipelineKey);
    expect(delivery).toMatchObject({ status: 'processed', attempts: 1, event: 'openapi-tts', code: 200, task_id: payload.data.taskId, last_error: null });
    expect(delivery?.processed_at).toBeInstanceOf(Date);
    expect((await inbox.find(payload.pipelineKey))?.completedHandlers).toEqual(['DubbingService.recordSpeech']);
  });

  it('records a TTS task with a failed line as partial', async () => {
    const payload = buildTtsPayload({
      data: { results: [{ uri: 'https://cdn.example.com/tts/0.mp3', duration: 1.5 }, { errorMessage: 'Text is empty' }] },
    });

    await deliver(payload);

    expect(await findAsset(payload.pipelineKey)).toMatchObject({ status: 'partial', itemCount: 2, failedItemCount: 1, failureMessage: null });
    expect(await findDelivery(payload.pipelineKey)).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it('records a translation task as a ready translation asset', async () => {
    const payload = buildTranslatePayload();

    const response = await deliver(payload);

    expect(response.status).toBe(200);
    expect(await findAsset(payload.pipelineKey)).toMatchObject({
      taskId: payload.data.taskId,
      kind: 'translation',
      status: 'ready',
      itemCount: 2,
      failedItemCount: 0,
      failureMessage: null,
    });
    expect(await findDelivery(payload.pipelineKey)).toMatchObject({ status: 'processed', attempts: 1, event: 'openapi-translate' });
    expect((await inbox.find(payload.pipelineKey))?.completedHandlers).toEqual(['DubbingService.recordTranslation']);
  });

  it('records a voice clone task with its voice id', async () => {
    const payload = buildCloneVoicePayload();

    const response = await deliver(payload);

    expect(response.status).toBe(200);
    expect(await findAsset(payload.pipelineKey)).toMatchObject({
      taskId: payload.data.taskId,
      kind: 'cloned-voice',
      status: 'ready',
      itemCount: 1,
      voiceId: payload.data.voiceId,
      failureMessage: null,
    });
    expect(await findDelivery(payload.pipelineKey)).toMatchObject({ status: 'processed', attempts: 1, event: 'openapi-clone-voice' });
    // The handler's id option, not ClassName.methodName.
    expect((await inbox.find(payload.pipelineKey))?.completedHandlers).toEqual(['dubbing.cloned-voice']);
  });

  it('records a media translation task with its output URL', async () => {
    const payload = buildMediaTranslationPayload();

    const response = await deliver(payload);

    expect(response.status).toBe(200);
    expect(await findAsset(payload.pipelineKey)).toMatchObject({
      taskId: payload.data.taskId,
      kind: 'dubbed-media',
      status: 'ready',
      itemCount: payload.data.result?.translatedScripts?.result?.length,
      outputUrl: payload.data.result?.build?.video?.url,
      failureMessage: null,
    });
    expect(await findDelivery(payload.pipelineKey)).toMatchObject({ status: 'processed', attempts: 1, event: 'openapi-media-translation' });
    expect((await inbox.find(payload.pipelineKey))?.completedHandlers).toEqual(['DubbingService.recordDubbedMedia']);
  });

  // A failed VMEG task (code 500) is still a valid delivery: the handler
  // succeeds, records the failure, and the delivery is processed, not retried.
  it.each([
    ['openapi-tts', buildFailedTtsPayload],
    ['openapi-translate', buildFailedTranslatePayload],
    ['openapi-clone-voice', buildFailedCloneVoicePayload],
    ['openapi-media-translation', buildFailedMediaTranslationPayload],
  ] as const)('records a code 500 %s task as failed', async (event, build) => {
    const payload = build();
    expect(payload.code).toBe(500);

    const response = await deliver(payload);

    expect(response.status).toBe(200);
    expect(response.body.outcome).toBe('queued');
    expect(await findAsset(payload.pipelineKey)).toMatchObject({
      taskId: payload.data.taskId,
      status: 'failed',
      failureMessage: payload.message,
    });
    expect(await findDelivery(payload.pipelineKey)).toMatchObject({ status: 'processed', attempts: 1, event, code: 500, last_error: null });
  });

  it('stores one asset for a retried delivery', async () => {
    const body = JSON.stringify(buildTtsPayload());
    const { pipelineKey } = JSON.parse(body) as { pipelineKey: string };

    const first = await deliver(body);
    const retry = await deliver(body);

    expect(first.body).toEqual({ pipelineKey, outcome: 'queued' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ pipelineKey, outcome: 'duplicate' });
    expect(await countAssets(pipelineKey)).toBe(1);
    expect(await findDelivery(pipelineKey)).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it('rejects a delivery signed with another secret', async () => {
    const payload = buildTtsPayload();
    const body = JSON.stringify(payload);

    const response = await request(app.getHttpServer())
      .post('/webhooks/vmeg')
      .set('Content-Type', 'application/json')
      .set(signVmegRequest('not-the-example-secret', body))
      .send(body);

    expect(response.status).toBe(401);
    expect(await findDelivery(payload.pipelineKey)).toBeUndefined();
    expect(await findAsset(payload.pipelineKey)).toBeNull();
  });

  it('reports the inbox healthy on /health', async () => {
    const response = await request(app.getHttpServer()).get('/health');

    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.info.vmeg).toMatchObject({ status: 'up', pending: 0, dead: 0 });
  });

  it('serves the module metrics on /metrics', async () => {
    await deliver(buildTranslatePayload());

    const response = await request(app.getHttpServer()).get('/metrics');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toMatch(/^vmeg_webhook_deliveries_total\{event="openapi-translate",outcome="queued",reason=""\} [1-9]/m);
    expect(response.text).toMatch(/^vmeg_webhook_deliveries_total\{event="openapi-translate",outcome="processed",reason=""\} [1-9]/m);
    expect(response.text).toContain('vmeg_webhook_handler_duration_seconds_bucket{');
    expect(response.text).toMatch(/^vmeg_webhook_inbox_deliveries\{status="pending"\} 0$/m);
  });
});
