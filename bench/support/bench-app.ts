/**
 * Child process that runs one benchmark app on 127.0.0.1 and a free port.
 * Started by `startBenchApp` (app-process.ts) with `fork`; it reads its
 * configuration from BENCH_APP_CONFIG (JSON of `BenchAppConfig`) and talks to
 * the parent over IPC.
 *
 * Variants:
 * - `queued`: VmegModule in queued mode with the worker off, as on a replica
 *   that only receives webhooks, so the load measures acknowledgement alone.
 * - `queued-worker`: queued mode with the worker on and a no-op handler.
 * - `inline`: inline mode with a no-op handler.
 * - `hand-written`: no VmegModule. A plain Nest route verifies the HMAC by
 *   hand and runs one `INSERT ... ON CONFLICT DO NOTHING` into
 *   `bench_deliveries`, a copy of the module's table.
 */
import 'reflect-metadata';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Controller, HttpCode, Injectable, type INestApplication, Module, Post, Req, type Type, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OnVmegEvent, VmegModule, vmegEntities } from '../../src';
import { HAND_WRITTEN_INSERT } from './hand-written-table';
import { type AppRequest, type AppResponse, BENCH_SECRET, type BenchAppConfig } from './app-protocol';

const TOLERANCE_MS = 300_000;


/** Counts handler calls so that the parent can read them. */
@Injectable()
class NoOpHandler {
  calls = 0;

  @OnVmegEvent('*')
  handle(): void {
    this.calls += 1;
  }
}

interface RawRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
}

/** The route a developer writes without the module: verify, insert, respond 200. */
@Controller('hand-written')
class HandWrittenController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post()
  @HttpCode(200)
  async receive(@Req() request: RawRequest): Promise<{ pipelineKey: string }> {
    const timestamp = request.headers['x-timestamp'];
    const signature = request.headers['x-signature'];
    const rawBody = request.rawBody;
    if (typeof timestamp !== 'string' || typeof signature !== 'string' || rawBody === undefined) {
      throw new UnauthorizedException('missing signature headers or body');
    }
    if (Math.abs(Date.now() - Number(timestamp)) > TOLERANCE_MS) {
      throw new UnauthorizedException('timestamp outside the tolerance');
    }
    const expected = createHmac('sha256', BENCH_SECRET).update(timestamp).update(rawBody).digest();
    const received = Buffer.from(signature, 'hex');
    if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
      throw new UnauthorizedException('signature does not match');
    }

    const json = rawBody.toString('utf8');
    const body = JSON.parse(json);
    await this.dataSource.query(HAND_WRITTEN_INSERT, [body.pipelineKey, body.event, body.data?.taskId ?? null, body.code, json, new Date()]);
    return { pipelineKey: body.pipelineKey };
  }
}

function buildModule(config: BenchAppConfig): Type<unknown> {
  const database = TypeOrmModule.forRoot({ type: 'postgres', url: config.databaseUrl, entities: [...vmegEntities] });

  if (config.variant === 'hand-written') {
    @Module({ imports: [database], controllers: [HandWrittenController] })
    class HandWrittenModule {}
    return HandWrittenModule;
  }

  const vmeg = VmegModule.forRoot({
    secret: BENCH_SECRET,
    dispatch: config.variant === 'inline' ? 'inline' : 'queued',
    worker: { enabled: config.variant === 'queued-worker', ...config.worker },
  });

  @Module({ imports: [database, vmeg], providers: [NoOpHandler] })
  class VmegBenchModule {}
  return VmegBenchModule;
}

async function createApp(config: BenchAppConfig): Promise<INestApplication> {
  const module = buildModule(config);
  const options = { rawBody: true, logger: ['error' as const, 'warn' as const] };
  const app =
    config.adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), options)
      : await NestFactory.create(module, new ExpressAdapter(), options);
  await app.listen(0, '127.0.0.1');
  return app;
}

function handlerCalls(app: INestApplication, config: BenchAppConfig): number {
  return config.variant === 'hand-written' ? 0 : app.get(NoOpHandler).calls;
}

async function answer(app: INestApplication, config: BenchAppConfig, request: AppRequest): Promise<AppResponse> {
  switch (request.type) {
    case 'stats': {
      // Full collection first, so that the RSS shows retained memory, not garbage.
      globalThis.gc?.();
      globalThis.gc?.();
      return { type: 'stats', rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, handlerCalls: handlerCalls(app, config), gcExposed: globalThis.gc !== undefined };
    }
    case 'mark':
      // process.hrtime uses the monotonic clock that V8 stamps CPU profile samples with.
      return { type: 'mark', monotonicMicros: Number(process.hrtime.bigint() / 1000n) };
    case 'stop':
      await app.close();
      return { type: 'stopped' };
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_APP_CONFIG ?? '') as BenchAppConfig;
  const app = await createApp(config);
  const { port } = app.getHttpServer().address() as { port: number };

  process.on('message', (request: AppRequest & { id: number }) => {
    answer(app, config, request).then(
      (response) => {
        process.send?.({ id: request.id, ...response });
        if (response.type === 'stopped') {
          // Exit through process.exit so that --cpu-prof writes its profile.
          process.disconnect();
          process.exit(0);
        }
      },
      (error: unknown) => process.send?.({ id: request.id, type: 'error', message: String(error) }),
    );
  });
  process.send?.({ type: 'ready', port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
