import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';

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

/**
 * Creates the example app on Express with `rawBody: true`, which the
 * signature check needs, and applies the pending migrations. The app does not
 * listen yet. Needs DATABASE_URL and VMEG_WEBHOOK_SECRET in the environment.
 *
 * @param logLevels Nest log levels. Default: Nest's own, which are every level or those in NEST_LOG_LEVEL.
 */
export async function createExampleApp(logLevels?: LogLevel[]): Promise<ExampleApp> {
  // abortOnError: false makes a start-up error reject this promise instead of calling process.abort().
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    rawBody: true,
    abortOnError: false,
    ...(logLevels === undefined ? {} : { logger: logLevels }),
  });

  try {
    app.useBodyParser('json', { limit: JSON_BODY_LIMIT });

    // The migrations must run before app.listen(): VmegModule checks at
    // bootstrap that vmeg_webhook_deliveries exists.
    const applied = await app.get(DataSource).runMigrations({ transaction: 'each' });
    return { app, appliedMigrations: applied.map((migration) => migration.name) };
  } catch (error) {
    await app.close();
    throw error;
  }
}
