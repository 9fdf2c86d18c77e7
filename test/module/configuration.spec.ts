import { Controller, Injectable, Module } from '@nestjs/common';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VmegModule, VmegWebhookController, type VmegModuleOptions, type VmegOptionsFactory } from '../../src';
import { sendSigned, ttsBody, WEBHOOK_PATH, type SendOptions } from '../support/deliveries';
import { HANDLER_EFFECTS_TABLE, RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, runVmegMigrations, TEST_SECRET, type HttpAdapterName, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startApp, typeOrmConnection, type AppSetup } from './start-app';

const FACTORY_SECRET = 'whsec_factory_0a9b8c7d6e5f4a3b';
const OLD_SECRET = 'whsec_rotation_old_1c2d3e4f';
const NEW_SECRET = 'whsec_rotation_new_5a6b7c8d';

/** Inline dispatch runs the handlers before the response, so a test can check them right after it. */
const INLINE = { dispatch: 'inline' } as const satisfies Partial<VmegModuleOptions>;

@Injectable()
class WebhookConfig {
  readonly secret = FACTORY_SECRET;
}

@Module({ providers: [WebhookConfig], exports: [WebhookConfig] })
class WebhookConfigModule {}

@Injectable()
class VmegConfigService implements VmegOptionsFactory {
  calls = 0;

  createVmegOptions(): VmegModuleOptions {
    this.calls += 1;
    return { secret: FACTORY_SECRET, ...INLINE };
  }
}

@Module({ providers: [VmegConfigService], exports: [VmegConfigService] })
class VmegConfigModule {}

@Controller('my/own/route')
class MyRoute extends VmegWebhookController {}

describe.each(HTTP_ADAPTERS)('VmegModule configuration over %s', (adapter: HttpAdapterName) => {
  let database: TestDatabase;
  let namedDatabase: TestDatabase;
  let db: Client;
  let namedDb: Client;
  let testApp: TestApp | undefined;

  beforeAll(async () => {
    [database, namedDatabase] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    db = new Client({ connectionString: database.url });
    namedDb = new Client({ connectionString: namedDatabase.url });

    for (const [target, client] of [
      [database, db],
      [namedDatabase, namedDb],
    ] as const) {
      await runVmegMigrations(target.url);
      await client.connect();
      await client.query(HANDLER_EFFECTS_TABLE);
    }
  });

  afterEach(async () => {
    await testApp?.close();
    testApp = undefined;
  });

  afterAll(async () => {
    await db?.end();
    await namedDb?.end();
    await database?.drop();
    await namedDatabase?.drop();
  });

  /** Starts an app on the main database with `RecordingHandlers` and the given VmegModule. */
  async function start(setup: AppSetup): Promise<TestApp> {
    testApp = await startApp({
      adapter,
      ...setup,
      imports: [typeOrmConnection(database.url), ...(setup.imports ?? [])],
      providers: [RecordingHandlers, ...(setup.providers ?? [])],
    });
    return testApp;
  }

  async function storedStatus(client: Client, pipelineKey: string): Promise<string | undefined> {
    const result = await client.query('SELECT status FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
    return result.rows[0]?.status;
  }

  async function effectCount(client: Client, pipelineKey: string): Promise<number> {
    const result = await client.query('SELECT count(*)::int AS count FROM handler_effects WHERE pipeline_key = $1', [pipelineKey]);
    return result.rows[0].count;
  }

  /** Sends one signed TTS delivery and checks the whole path: 200, stored as processed, handler run and committed. */
  async function expectDeliveryProcessed(app: TestApp, options: SendOptions = {}, client: Client = db): Promise<void> {
    const body = ttsBody();
    const pipelineKey = body.pipelineKey as string;

    const response = await sendSigned(app.url, body, options);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ pipelineKey, outcome: 'processed' });
    expect(await storedStatus(client, pipelineKey)).toBe('processed');
    expect(app.app.get(RecordingHandlers).callsOf(pipelineKey, 'onSpeech')).toHaveLength(1);
    expect(await effectCount(client, pipelineKey)).toBe(2);
  }

  it('forRoot processes a delivery', async () => {
    const app = await start({ imports: [VmegModule.forRoot({ secret: TEST_SECRET, ...INLINE })] });

    await expectDeliveryProcessed(app);
  });

  it('forRoot rejects another secret', async () => {
    const app = await start({ imports: [VmegModule.forRoot({ secret: TEST_SECRET, ...INLINE })] });

    const response = await sendSigned(app.url, ttsBody(), { secret: FACTORY_SECRET });

    expect(response.status).toBe(401);
  });

  describe('forRootAsync', () => {
    it('useFactory with inject and imports', async () => {
      const vmegModule = VmegModule.forRootAsync({
        imports: [WebhookConfigModule],
        inject: [WebhookConfig],
        useFactory: (config: WebhookConfig) => ({ secret: config.secret, ...INLINE }),
      });
      const app = await start({ imports: [vmegModule] });

      await expectDeliveryProcessed(app, { secret: FACTORY_SECRET });
      await sendSigned(app.url, ttsBody(), { secret: TEST_SECRET }).expect(401);
    });

    it('useFactory returning a promise', async () => {
      const vmegModule = VmegModule.forRootAsync({
        useFactory: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return { secret: FACTORY_SECRET, ...INLINE };
        },
      });
      const app = await start({ imports: [vmegModule] });

      await expectDeliveryProcessed(app, { secret: FACTORY_SECRET });
    });

    it('useClass processes a delivery', async () => {
      const app = await start({ imports: [VmegModule.forRootAsync({ useClass: VmegConfigService })] });

      await expectDeliveryProcessed(app, { secret: FACTORY_SECRET });
      await sendSigned(app.url, ttsBody(), { secret: TEST_SECRET }).expect(401);
    });

    it('useExisting reuses the imported instance', async () => {
      const vmegModule = VmegModule.forRootAsync({ imports: [VmegConfigModule], useExisting: VmegConfigService });
      const app = await start({ imports: [VmegConfigModule, vmegModule] });

      await expectDeliveryProcessed(app, { secret: FACTORY_SECRET });
      expect(app.app.get(VmegConfigService, { strict: false }).calls).toBe(1);
    });
  });

  describe('dataSourceName', () => {
    it('stores deliveries in the named connection', async () => {
      const vmegModule = VmegModule.forRoot({ secret: TEST_SECRET, dataSourceName: 'deliveries', ...INLINE });
      const app = await start({ imports: [typeOrmConnection(namedDatabase.url, 'deliveries'), vmegModule] });
      const body = ttsBody();
      const pipelineKey = body.pipelineKey as string;

      const response = await sendSigned(app.url, body);

      expect(response.status).toBe(200);
      expect(await storedStatus(namedDb, pipelineKey)).toBe('processed');
      expect(await effectCount(namedDb, pipelineKey)).toBe(2);
      expect(await storedStatus(db, pipelineKey)).toBeUndefined();
      expect(await effectCount(db, pipelineKey)).toBe(0);
    });

    it('processes a delivery end to end', async () => {
      const vmegModule = VmegModule.forRoot({ secret: TEST_SECRET, dataSourceName: 'deliveries', ...INLINE });
      const app = await start({ imports: [typeOrmConnection(namedDatabase.url, 'deliveries'), vmegModule] });

      await expectDeliveryProcessed(app, {}, namedDb);
    });
  });

  describe('path', () => {
    it('custom path serves deliveries', async () => {
      const app = await start({ imports: [VmegModule.forRoot({ secret: TEST_SECRET, path: 'hooks/vmeg-custom', ...INLINE })] });

      await expectDeliveryProcessed(app, { path: '/hooks/vmeg-custom' });
    });

    it('custom path frees the default', async () => {
      const app = await start({ imports: [VmegModule.forRoot({ secret: TEST_SECRET, path: 'hooks/vmeg-custom', ...INLINE })] });
      const body = ttsBody();

      const response = await sendSigned(app.url, body, { path: WEBHOOK_PATH });

      expect(response.status).toBe(404);
      expect(await storedStatus(db, body.pipelineKey as string)).toBeUndefined();
    });

    it('null path with an app controller', async () => {
      const app = await start({
        imports: [VmegModule.forRoot({ secret: TEST_SECRET, path: null, ...INLINE })],
        controllers: [MyRoute],
      });

      await expectDeliveryProcessed(app, { path: '/my/own/route' });
      await sendSigned(app.url, ttsBody(), { path: WEBHOOK_PATH }).expect(404);
    });

    it('app controller verifies signatures', async () => {
      const app = await start({
        imports: [VmegModule.forRoot({ secret: TEST_SECRET, path: null, ...INLINE })],
        controllers: [MyRoute],
      });

      const response = await sendSigned(app.url, ttsBody(), { path: '/my/own/route', secret: FACTORY_SECRET });

      expect(response.status).toBe(401);
    });

    it('global prefix moves the route', async () => {
      const app = await start({
        imports: [VmegModule.forRoot({ secret: TEST_SECRET, ...INLINE })],
        configure: (nestApp) => nestApp.setGlobalPrefix('api'),
      });

      await expectDeliveryProcessed(app, { path: '/api/webhooks/vmeg' });
      await sendSigned(app.url, ttsBody(), { path: WEBHOOK_PATH }).expect(404);
    });
  });

  describe('secret rotation', () => {
    it('accepts the old and the new secret', async () => {
      const app = await start({ imports: [VmegModule.forRoot({ secret: [OLD_SECRET, NEW_SECRET], ...INLINE })] });

      await expectDeliveryProcessed(app, { secret: OLD_SECRET });
      await expectDeliveryProcessed(app, { secret: NEW_SECRET });
    });

    it('rejects a third secret', async () => {
      const app = await start({ imports: [VmegModule.forRoot({ secret: [OLD_SECRET, NEW_SECRET], ...INLINE })] });
      const body = ttsBody();

      const response = await sendSigned(app.url, body, { secret: TEST_SECRET });

      expect(response.status).toBe(401);
      expect(await storedStatus(db, body.pipelineKey as string)).toBeUndefined();
    });
  });
});
