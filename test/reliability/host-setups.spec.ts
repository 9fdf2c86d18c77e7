import {
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type INestApplication,
  type NestInterceptor,
  UnauthorizedException,
  ValidationPipe,
  VersioningType,
  type DynamicModule,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Client } from 'pg';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { map, type Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VmegModule, VmegWebhookController, vmegEntities } from '../../src';
import { CaptureLogger } from '../support/capture-logger';
import { sendSigned, ttsBody, WEBHOOK_PATH } from '../support/deliveries';
import { createInboxDatabase } from '../support/inbox-fixture';
import { HTTP_ADAPTERS, TEST_SECRET, type HttpAdapterName } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/host-setups.spec.ts';

/** A host's own authentication: every route needs a bearer token. */
@Injectable()
class BearerTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (request.headers.authorization !== 'Bearer host-token') {
      throw new UnauthorizedException('missing or invalid bearer token');
    }
    return true;
  }
}

/**
 * The same guard with the webhook route exempted. VMEG cannot send a bearer
 * token, and `VmegSignatureGuard` authenticates its requests instead.
 */
@Injectable()
class BearerTokenGuardExemptingVmeg extends BearerTokenGuard {
  override canActivate(context: ExecutionContext): boolean {
    const controller = context.getClass();
    if (controller === VmegWebhookController || controller.prototype instanceof VmegWebhookController) {
      return true;
    }
    return super.canActivate(context);
  }
}

/** A host's response envelope: every response body becomes `{ data: ... }`. */
@Injectable()
class WrapResponseInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

/** Express middleware that parses a JSON body into `request.body` and keeps no raw bytes. */
function parseJsonBody(request: IncomingMessage & { body?: unknown }, _response: ServerResponse, next: (error?: unknown) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('error', next);
  request.on('end', () => {
    try {
      request.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      next();
    } catch (error) {
      next(error);
    }
  });
}

interface HostSetup {
  providers?: Provider[];
  bodyParser?: boolean;
  configure?: (app: INestApplication) => void;
}

describe.each(HTTP_ADAPTERS)('host set-ups over %s', (adapter: HttpAdapterName) => {
  let database: TestDatabase;
  let db: Client;
  let app: INestApplication | undefined;
  let logger: CaptureLogger;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  /** Starts an app the way a host would: its own providers, adapter options and configuration, with VmegModule inline. */
  async function start(setup: HostSetup): Promise<string> {
    logger = new CaptureLogger();
    const imports: DynamicModule[] = [
      TypeOrmModule.forRoot({ type: 'postgres', url: database.url, entities: [...vmegEntities], retryAttempts: 0 }),
      VmegModule.forRoot({ secret: TEST_SECRET, dispatch: 'inline' }),
    ];
    const moduleRef = await Test.createTestingModule({ imports, providers: setup.providers ?? [] })
      .setLogger(logger)
      .compile();
    const options = { rawBody: true, bodyParser: setup.bodyParser ?? true, logger };
    app = adapter === 'express' ? moduleRef.createNestApplication(new ExpressAdapter(), options) : moduleRef.createNestApplication(new FastifyAdapter(), options);
    setup.configure?.(app);
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }

  async function storedPayload(key: string): Promise<unknown> {
    return (await db.query('SELECT payload FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [key])).rows[0]?.payload;
  }

  function summarize(setup: string, status: number): void {
    printSummary(FILE, `${adapter} ${setup}`, { status });
  }

  it('global ValidationPipe keeps the raw body', async () => {
    const url = await start({ configure: (host) => host.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true })) });
    const body = ttsBody({ unknownField: { nested: [1, 2] } });

    const response = await sendSigned(url, body);

    summarize('ValidationPipe', response.status);
    expect(response.status).toBe(200);
    expect(await storedPayload(body.pipelineKey as string)).toEqual(body);
  });

  it('global prefix and URI versioning move the route', async () => {
    const url = await start({
      configure: (host) => {
        host.setGlobalPrefix('api');
        host.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
      },
    });
    const body = ttsBody();

    const response = await sendSigned(url, body, { path: `/api/v1${WEBHOOK_PATH}` });
    const oldPath = await sendSigned(url, ttsBody());

    summarize('global prefix and URI versioning', response.status);
    expect(response.status).toBe(200);
    expect(oldPath.status).toBe(404);
    expect(await storedPayload(body.pipelineKey as string)).toEqual(body);
  });

  it('global auth guard rejects before the signature check', async () => {
    const url = await start({ providers: [{ provide: APP_GUARD, useClass: BearerTokenGuard }] });
    const body = ttsBody();

    const response = await sendSigned(url, body);

    summarize('global auth guard', response.status);
    expect(response.status).toBe(401);
    expect(response.body.message).toBe('missing or invalid bearer token');
    expect(await storedPayload(body.pipelineKey as string)).toBeUndefined();
  });

  it('global auth guard exempting the webhook works', async () => {
    const url = await start({ providers: [{ provide: APP_GUARD, useClass: BearerTokenGuardExemptingVmeg }] });
    const body = ttsBody();

    const response = await sendSigned(url, body);
    const forged = await sendSigned(url, ttsBody(), { secret: 'forged-secret' });

    summarize('global auth guard with exemption', response.status);
    expect(response.status).toBe(200);
    expect(forged.status).toBe(401);
    expect(forged.body.message).toBe('signature does not match');
  });

  it('global response interceptor wraps the acknowledgement', async () => {
    const url = await start({ providers: [{ provide: APP_INTERCEPTOR, useClass: WrapResponseInterceptor }] });
    const body = ttsBody();

    const response = await sendSigned(url, body);

    summarize('global interceptor', response.status);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { pipelineKey: body.pipelineKey, outcome: 'processed' } });
  });

  it('own JSON parser fails with the fix', async () => {
    const url = await start({
      bodyParser: false,
      configure: (host) => {
        if (adapter === 'express') {
          // Stands for express.json({ limit: '5mb' }) or any other JSON parser an app installs itself.
          host.use(parseJsonBody);
        } else {
          const fastify = (host.getHttpAdapter() as FastifyAdapter).getInstance();
          fastify.removeContentTypeParser('application/json');
          fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 5 * 1024 * 1024 }, (_request, text, done) => done(null, JSON.parse(text as string)));
        }
      },
    });
    const body = ttsBody();

    const response = await sendSigned(url, body);

    summarize('own JSON parser', response.status);
    expect(response.status).toBe(500);
    expect(response.body.message).toContain('useBodyParser');
    expect(logger.matching(/useBodyParser/).map((line) => line.level)).toEqual(['error']);
    expect(await storedPayload(body.pipelineKey as string)).toBeUndefined();
  });
});
