import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmegHealthIndicator } from '../../src/health';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly vmeg: VmegHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.vmeg.isHealthy()]);
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController], providers: [VmegHealthIndicator] })
class HealthModule {}

describe('VmegHealthIndicator', () => {
  let database: TestDatabase;
  let db: Client;
  let app: TestApp;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    app = await startTestApp({
      adapter: 'express',
      databaseUrl: database.url,
      imports: [HealthModule],
      providers: [RecordingHandlers],
      vmeg: { dispatch: 'queued', worker: { enabled: false }, health: { maxPending: 2, maxOldestPendingSeconds: 3600, maxDead: 0 } },
    });
  });

  afterAll(async () => {
    await app?.close();
    await db?.end();
    await database?.drop();
  });

  it('is up with an empty inbox', async () => {
    const response = await request(app.url).get('/health');

    expect(response.status).toBe(200);
    expect(response.body.info.vmeg).toEqual({ status: 'up', pending: 0, oldestPendingSeconds: 0, processing: 0, dead: 0 });
  });

  it('is down when the backlog passes its threshold', async () => {
    for (let index = 0; index < 3; index += 1) {
      await sendSigned(app.url, ttsBody()).expect(200);
    }

    const response = await request(app.url).get('/health');

    expect(response.status).toBe(503);
    expect(response.body.error.vmeg.status).toBe('down');
    expect(response.body.error.vmeg.pending).toBe(3);
    expect(response.body.error.vmeg.message).toContain('3 pending deliveries, more than 2');
  });

  it('is down with a dead delivery and an old pending one', async () => {
    await db.query(`DELETE FROM vmeg_webhook_deliveries`);
    await db.query(`
      INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status, received_at, next_attempt_at)
      VALUES ('old-pending', 'openapi-tts', 200, '{}', 'pending', now() - interval '2 hours', now()),
             ('dead-one', 'openapi-tts', 200, '{}', 'dead', now(), NULL)`);

    const response = await request(app.url).get('/health');

    expect(response.status).toBe(503);
    expect(response.body.error.vmeg.dead).toBe(1);
    expect(response.body.error.vmeg.message).toContain('1 dead deliveries, more than 0');
    expect(response.body.error.vmeg.message).toMatch(/oldest pending delivery is 7\d{3} s old/);
  });
});
