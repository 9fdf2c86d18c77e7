import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddVmegDeliveryQueue1764892800000, CreateVmegWebhookDeliveries1764806400000 } from '../../src';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const BOTH = [CreateVmegWebhookDeliveries1764806400000, AddVmegDeliveryQueue1764892800000];

/** Runs `action` on a data source that lists exactly the given migrations. */
async function withMigrations(url: string, migrations: (new () => object)[], action: (dataSource: DataSource) => Promise<unknown>): Promise<void> {
  const dataSource = new DataSource({ type: 'postgres', url, migrations });
  await dataSource.initialize();
  try {
    await action(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

describe('queue migration', () => {
  let database: TestDatabase;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  it('keeps first-migration rows on upgrade and downgrade', async () => {
    await withMigrations(database.url, [CreateVmegWebhookDeliveries1764806400000], (dataSource) => dataSource.runMigrations());
    await db.query(`
      INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status, attempts, last_error)
      VALUES ('kept-processed', 'openapi-tts', 200, '{"a":1}', 'processed', 1, NULL),
             ('kept-failed', 'openapi-tts', 200, '{"b":2}', 'failed', 2, 'boom')`);

    await withMigrations(database.url, BOTH, (dataSource) => dataSource.runMigrations());

    const upgraded = await db.query('SELECT pipeline_key, status, attempts, last_error, payload, next_attempt_at FROM vmeg_webhook_deliveries ORDER BY pipeline_key');
    expect(upgraded.rows).toEqual([
      { pipeline_key: 'kept-failed', status: 'failed', attempts: 2, last_error: 'boom', payload: { b: 2 }, next_attempt_at: null },
      { pipeline_key: 'kept-processed', status: 'processed', attempts: 1, last_error: null, payload: { a: 1 }, next_attempt_at: null },
    ]);
    const indexes = await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'vmeg_webhook_deliveries'`);
    expect(indexes.rows.map((row) => row.indexname)).toEqual(expect.arrayContaining(['ix_vmeg_webhook_deliveries_claim', 'ix_vmeg_webhook_deliveries_purge']));
    await db.query(`INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status, next_attempt_at) VALUES ('queued', 'openapi-tts', 200, '{}', 'pending', now())`);

    await withMigrations(database.url, BOTH, (dataSource) => dataSource.undoLastMigration());

    const downgraded = await db.query('SELECT pipeline_key, status FROM vmeg_webhook_deliveries ORDER BY pipeline_key');
    expect(downgraded.rows).toEqual([
      { pipeline_key: 'kept-failed', status: 'failed' },
      { pipeline_key: 'kept-processed', status: 'processed' },
      { pipeline_key: 'queued', status: 'failed' },
    ]);
    const runsTable = await db.query(`SELECT to_regclass('vmeg_webhook_handler_runs') AS name`);
    expect(runsTable.rows[0].name).toBeNull();
  });

  it('claim query uses the claim index', async () => {
    await withMigrations(database.url, BOTH, (dataSource) => dataSource.runMigrations());
    await db.query(`
      INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status, processed_at)
      SELECT 'bulk-' || n, 'openapi-tts', 200, '{}', 'processed', now() FROM generate_series(1, 20000) AS n`);
    await db.query('ANALYZE vmeg_webhook_deliveries');

    const plan = await db.query(`
      EXPLAIN SELECT id FROM vmeg_webhook_deliveries
      WHERE status IN ('pending', 'processing') AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT 10 FOR UPDATE SKIP LOCKED`);

    expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('ix_vmeg_webhook_deliveries_claim');
  });
});
