import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { startPostgres, type PostgresServer } from '../devtools/embedded-postgres';
import { createExampleApp, type ExampleApp } from './bootstrap';

/**
 * Secret used when VMEG_WEBHOOK_SECRET is unset, so that a fresh clone can
 * receive signed requests from the shell. It is public, so it must never
 * guard an endpoint that VMEG calls.
 */
export const DEVELOPMENT_SECRET = 'vmeg-example-development-secret';

/** The app listens on the loopback interface only. */
const HOST = '127.0.0.1';
const DEFAULT_PORT = 3000;
const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Time in ms after a shutdown signal during which the same or another signal is taken as its echo. */
const REPEATED_SIGNAL_WINDOW_MS = 1000;

const logger = new Logger('ExampleApp');

/**
 * Starts the example app on 127.0.0.1:$PORT (default 3000). Without
 * DATABASE_URL it starts an embedded PostgreSQL server whose data is deleted
 * when the app stops. It applies pending migrations before listening.
 */
async function main(): Promise<void> {
  const port = readPort();

  if (!process.env.VMEG_WEBHOOK_SECRET) {
    process.env.VMEG_WEBHOOK_SECRET = DEVELOPMENT_SECRET;
    logger.warn(
      `VMEG_WEBHOOK_SECRET is not set, so the app accepts deliveries signed with the public development secret "${DEVELOPMENT_SECRET}". ` +
        "Set VMEG_WEBHOOK_SECRET to the secret from VMEG's API Configuration page before VMEG sends deliveries here.",
    );
  }

  const database = await startPostgres({ purpose: 'start' });
  if (database.external) {
    logger.log('Using the PostgreSQL server in DATABASE_URL');
  } else {
    logger.log(`Started an embedded PostgreSQL server on ${HOST}:${new URL(database.url).port}. Its data is deleted when the app stops.`);
    process.env.DATABASE_URL = database.url;
  }

  let exampleApp: ExampleApp | undefined;
  try {
    exampleApp = await createExampleApp();
    const applied = exampleApp.appliedMigrations;
    logger.log(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'No pending migrations');

    await exampleApp.app.listen(port, HOST);
  } catch (error) {
    await exampleApp?.app.close();
    await database.stop();
    throw error;
  }

  const { port: boundPort } = exampleApp.app.getHttpServer().address() as AddressInfo;
  logger.log(`Receiving VMEG webhooks at http://${HOST}:${boundPort}/webhooks/vmeg`);
  stopOnSignals(exampleApp, database);
}

/**
 * Closes the app, then stops the embedded server, on SIGINT or SIGTERM.
 * `app.close()` runs the same shutdown hooks as `app.enableShutdownHooks()`
 * would. enableShutdownHooks is not used because it raises the signal again
 * as soon as the app is closed, which can end the process before the embedded
 * server has stopped and its files are deleted.
 */
function stopOnSignals(exampleApp: ExampleApp, database: PostgresServer): void {
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    logger.log(`Received ${signal}, stopping the app and the database`);
    try {
      await exampleApp.app.close();
    } finally {
      await database.stop();
    }
  };

  // Under `npm start`, one Ctrl+C reaches node twice: from the terminal and
  // from npm forwarding it. A repeat within a second is that echo and is
  // ignored; a signal after that ends the process at once, without cleanup.
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      stop(signal).catch((error: unknown) => {
        logger.error(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      });
      return;
    }
    if (Date.now() - firstSignalAt < REPEATED_SIGNAL_WINDOW_MS) {
      return;
    }
    logger.warn(`Received ${signal} again during shutdown; exiting without stopping the database`);
    process.exit(1);
  };
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, onSignal);
  }
}

function readPort(): number {
  const value = process.env.PORT;
  if (value === undefined || value === '') {
    return DEFAULT_PORT;
  }
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new Error(`Invalid PORT ${JSON.stringify(value)}: expected a TCP port number from 0 to 65535`);
  }
  return port;
}

main().catch((error: unknown) => {
  logger.error(`The example app failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
