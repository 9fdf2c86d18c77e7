import { Client } from 'pg';
import { VmegInbox, type VmegWorkerOptions } from '../../src';
import { HANDLER_EFFECTS_TABLE, RecordingHandlers } from './recording-handlers';
import { runVmegMigrations, startTestApp, type HttpAdapterName, type TestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';

/** Worker settings that keep queued tests fast: short polls, leases and retry delays. */
export const FAST_WORKER: VmegWorkerOptions = {
  pollIntervalMs: 200,
  leaseMs: 2000,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 400,
  maxAttempts: 3,
  shutdownTimeoutMs: 2000,
};

export interface QueuedApp extends TestApp {
  handlers: RecordingHandlers;
  inbox: VmegInbox;
}

/** Creates a migrated test database with the `handler_effects` table, and a client for assertions. */
export async function createInboxDatabase(): Promise<{ database: TestDatabase; db: Client }> {
  const database = await createTestDatabase();
  await runVmegMigrations(database.url);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  await db.query(HANDLER_EFFECTS_TABLE);
  return { database, db };
}

/** Boots an app in queued mode with `RecordingHandlers` and a fast worker. */
export async function startQueuedApp(databaseUrl: string, worker: VmegWorkerOptions = {}, adapter: HttpAdapterName = 'express'): Promise<QueuedApp> {
  const app = await startTestApp({
    adapter,
    databaseUrl,
    providers: [RecordingHandlers],
    vmeg: { dispatch: 'queued', worker: { ...FAST_WORKER, ...worker } },
  });
  return { ...app, handlers: app.app.get(RecordingHandlers), inbox: app.app.get(VmegInbox) };
}
