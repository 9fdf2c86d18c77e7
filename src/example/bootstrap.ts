import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule, type ExampleAppOptions } from './app.module';

/**
 * Limit of the JSON body parser. Express's default, 100 KiB, is too small
 * for a media translation delivery, which carries every recognized,
 * translated and synthesized line of the video.
 * NOTE: VMEG documents no maximum body size, so 10 MB is an estimate.
 */
const JSON_BODY_LIMIT = '10mb';

export interface ExampleApp {
  app: NestExpressApplication;
  /** Names of the migrations that this start applied, in order. */
  appliedMigrations: string[];
}

export interface CreateExampleAppOptions extends ExampleAppOptions {
  /** Nest log levels. Default: Nest's own, which are every level or those in NEST_LOG_LEVEL. */
  logLevels?: LogLevel[];
}

/**
 * Creates the example app on Express with `rawBody: true`, which the
 * signature check needs, and applies the pending migrations. The app does not
 * listen yet. Needs DATABASE_URL and VMEG_WEBHOOK_SECRET in the environment
 * unless `options` gives `databaseUrl` and `secret`.
 */
export async function createExampleApp(options: CreateExampleAppOptions = {}): Promise<ExampleApp> {
  const { logLevels, ...moduleOptions } = options;
  // abortOnError: false makes a start-up error reject this promise instead of calling process.abort().
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(moduleOptions), {
    rawBody: true,
    abortOnError: false,
    ...(logLevels === undefined ? {} : { logger: logLevels }),
  });

  try {
    const appliedMigrations = await prepareExampleApp(app);
    return { app, appliedMigrations };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/**
 * Raises the JSON body limit and applies the pending migrations, then
 * returns the names of the migrations it applied. Call it before `app.init()`
 * or `app.listen()`: VmegModule checks at bootstrap that
 * vmeg_webhook_deliveries exists. The app must have been created with
 * `rawBody: true`.
 */
export async function prepareExampleApp(app: NestExpressApplication): Promise<string[]> {
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  const applied = await app.get(DataSource).runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
}
