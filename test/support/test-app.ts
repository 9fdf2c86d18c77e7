import type { DynamicModule, INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { VmegModule, vmegEntities, vmegMigrations, type VmegModuleExtras, type VmegModuleOptions } from '../../src';
import { CaptureLogger } from './capture-logger';

export type HttpAdapterName = 'express' | 'fastify';
export const HTTP_ADAPTERS: HttpAdapterName[] = ['express', 'fastify'];

export const TEST_SECRET = 'whsec_test_5f0c2b8e1d4a4f7c9b3e6a2d8c1f0e7b';

export interface TestAppOptions {
  adapter: HttpAdapterName;
  databaseUrl: string;
  /** Module under test; default `VmegModule.forRoot({ secret: TEST_SECRET, dispatch: 'inline', ...vmeg })`. */
  vmegModule?: DynamicModule;
  vmeg?: Partial<VmegModuleOptions> & VmegModuleExtras;
  providers?: ModuleMetadata['providers'];
  imports?: ModuleMetadata['imports'];
  rawBody?: boolean;
  /** Connections of the app's pg pool; default 20. */
  poolSize?: number;
  /** Body limit in bytes; default the adapter's own (Express 100 KiB, Fastify 1 MiB). */
  bodyLimit?: number;
  configure?: (app: INestApplication) => void;
}

export interface TestApp {
  app: INestApplication;
  /** Base URL on 127.0.0.1, without a trailing slash. */
  url: string;
  logger: CaptureLogger;
  close(): Promise<void>;
}

/** Boots a real Nest app with VmegModule on a real database and listens on a free port of 127.0.0.1. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const logger = new CaptureLogger();
  const vmegModule = options.vmegModule ?? VmegModule.forRoot({ secret: TEST_SECRET, dispatch: 'inline', ...options.vmeg });

  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: options.databaseUrl,
        entities: [...vmegEntities],
        poolSize: options.poolSize ?? 20,
        retryAttempts: 0,
      }),
      vmegModule,
      ...(options.imports ?? []),
    ],
    providers: options.providers ?? [],
  })
    .setLogger(logger)
    .compile();

  const rawBody = options.rawBody ?? true;
  const app =
    options.adapter === 'express'
      ? moduleRef.createNestApplication(new ExpressAdapter(), { rawBody, logger })
      : moduleRef.createNestApplication(new FastifyAdapter(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}), { rawBody, logger });

  if (options.adapter === 'express' && options.bodyLimit !== undefined) {
    // The way Nest's docs raise Express's limit: this parser runs before the default one.
    (app as unknown as { useBodyParser(type: string, options: object): void }).useBodyParser('json', { limit: options.bodyLimit });
  }
  options.configure?.(app);

  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };

  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    logger,
    close: () => app.close(),
  };
}

/** Creates the module's tables in a database with the shipped migrations. */
export async function runVmegMigrations(databaseUrl: string): Promise<void> {
  const dataSource = new DataSource({ type: 'postgres', url: databaseUrl, migrations: [...vmegMigrations] });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
