import type { DynamicModule, INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { vmegEntities } from '../../src';
import { CaptureLogger } from '../support/capture-logger';
import type { HttpAdapterName, TestApp } from '../support/test-app';

/** Root module metadata and HTTP adapter of an app under test. Unlike `startTestApp`, nothing is added to the module. */
export interface AppSetup extends Pick<ModuleMetadata, 'imports' | 'providers' | 'controllers'> {
  /** Default `express`. */
  adapter?: HttpAdapterName;
  configure?: (app: INestApplication) => void;
}

/** Builds a TypeORM connection to `url` with the module's entities; `name` makes it a named connection. */
export function typeOrmConnection(url: string, name?: string): DynamicModule {
  return TypeOrmModule.forRoot({
    name,
    type: 'postgres',
    url,
    entities: [...vmegEntities],
    poolSize: 5,
    retryAttempts: 0,
  });
}

/**
 * Compiles the module, creates the app with `{ rawBody: true }` and listens
 * on a free port of 127.0.0.1. An app whose start-up fails is closed before
 * the error is re-thrown, so that its connection pools do not outlive it.
 */
export async function startApp(setup: AppSetup): Promise<TestApp> {
  const logger = new CaptureLogger();
  const app = await createApp(setup, logger);

  try {
    setup.configure?.(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }

  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    logger,
    close: () => app.close(),
  };
}

/** Starts the app, expecting start-up to fail; returns the error and the lines logged until then. */
export async function startupFailure(setup: AppSetup): Promise<{ error: Error; logger: CaptureLogger }> {
  const logger = new CaptureLogger();
  let app: INestApplication;

  try {
    app = await createApp(setup, logger);
  } catch (error) {
    return { error: asError(error), logger };
  }

  try {
    setup.configure?.(app);
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    return { error: asError(error), logger };
  }

  await app.close();
  throw new Error('expected the app to fail at start-up, but it started');
}

async function createApp(setup: AppSetup, logger: CaptureLogger): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: setup.imports ?? [],
    providers: setup.providers ?? [],
    controllers: setup.controllers ?? [],
  })
    .setLogger(logger)
    .compile();

  const adapter = (setup.adapter ?? 'express') === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  return moduleRef.createNestApplication(adapter, { rawBody: true, logger });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`non-Error value thrown: ${String(value)}`);
}
