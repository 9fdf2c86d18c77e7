import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmegEntities, vmegMigrations, VmegWebhookDelivery } from '../../src';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '../..');
const TABLE = 'vmeg_webhook_deliveries';

/** SQLSTATE codes of unique_violation and check_violation. */
const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';

function migrationDataSource(url: string): DataSource {
  return new DataSource({ type: 'postgres', url, entities: [...vmegEntities], migrations: [...vmegMigrations] });
}

async function tableExists(client: Client, table: string): Promise<boolean> {
  const result = await client.query('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  return result.rows[0].exists;
}

async function insertDelivery(client: Client, pipelineKey: string): Promise<void> {
  await client.query(
    `INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status)
     VALUES ($1, 'openapi-tts', 'task-1', 200, '{"pipelineKey": "k"}', 'processed')`,
    [pipelineKey],
  );
}

/** Returns the SQLSTATE of the error that `action` raises, or undefined when it succeeds. */
async function sqlStateOf(action: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('shipped migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = migrationDataSource(database.url);
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  describe('up', () => {
    it('creates the deliveries table', async () => {
      expect(await tableExists(db, TABLE)).toBe(true);
    });

    it('makes pipeline_key unique', async () => {
      const result = await db.query(
        `SELECT c.conname AS name, array_agg(a.attname::text ORDER BY a.attnum) AS columns
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.conrelid = $1::regclass AND c.contype = 'u'
         GROUP BY c.conname`,
        [TABLE],
      );

      expect(result.rows).toContainEqual({ name: 'uq_vmeg_webhook_deliveries_pipeline_key', columns: ['pipeline_key'] });
    });

    it('makes id the primary key', async () => {
      const result = await db.query(
        `SELECT a.attname AS column
         FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.conrelid = $1::regclass AND c.contype = 'p'`,
        [TABLE],
      );

      expect(result.rows).toEqual([{ column: 'id' }]);
    });

    const expectedColumns: [string, { type: string; length: number | null; nullable: 'YES' | 'NO' }][] = [
      ['id', { type: 'bigint', length: null, nullable: 'NO' }],
      ['pipeline_key', { type: 'character varying', length: 128, nullable: 'NO' }],
      ['event', { type: 'character varying', length: 128, nullable: 'NO' }],
      ['task_id', { type: 'character varying', length: 128, nullable: 'YES' }],
      ['code', { type: 'integer', length: null, nullable: 'NO' }],
      ['payload', { type: 'jsonb', length: null, nullable: 'NO' }],
      ['status', { type: 'character varying', length: 16, nullable: 'NO' }],
      ['attempts', { type: 'integer', length: null, nullable: 'NO' }],
      ['last_error', { type: 'text', length: null, nullable: 'YES' }],
      ['received_at', { type: 'timestamp with time zone', length: null, nullable: 'NO' }],
      ['updated_at', { type: 'timestamp with time zone', length: null, nullable: 'NO' }],
      ['processed_at', { type: 'timestamp with time zone', length: null, nullable: 'YES' }],
    ];

    it.each(expectedColumns)('creates column %s', async (column, expected) => {
      const result = await db.query(
        `SELECT data_type AS type, character_maximum_length AS length, is_nullable AS nullable
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
        [TABLE, column],
      );

      expect(result.rows).toEqual([expected]);
    });

    it('defaults attempts to 0', async () => {
      const key = 'default-attempts';

      await insertDelivery(db, key);

      const result = await db.query('SELECT attempts, received_at, updated_at FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [key]);
      expect(result.rows[0].attempts).toBe(0);
      expect(result.rows[0].received_at).toBeInstanceOf(Date);
      expect(result.rows[0].updated_at).toBeInstanceOf(Date);
    });

    it('raises 23505 on a duplicate key', async () => {
      const key = 'duplicate-key';
      await insertDelivery(db, key);

      const state = await sqlStateOf(() => insertDelivery(db, key));

      expect(state).toBe(UNIQUE_VIOLATION);
    });

    it('names the constraint in the violation', async () => {
      const key = 'duplicate-constraint';
      await insertDelivery(db, key);

      const error = await insertDelivery(db, key).catch((failure: { constraint?: string }) => failure);

      expect((error as { constraint?: string }).constraint).toBe('uq_vmeg_webhook_deliveries_pipeline_key');
    });

    it('rejects an unknown status', async () => {
      const state = await sqlStateOf(() =>
        db.query(`INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status) VALUES ('bad-status', 'e', 200, '{}', 'done')`),
      );

      expect(state).toBe(CHECK_VIOLATION);
    });

    it('rejects negative attempts', async () => {
      const state = await sqlStateOf(() =>
        db.query(
          `INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, code, payload, status, attempts) VALUES ('bad-attempts', 'e', 200, '{}', 'failed', -1)`,
        ),
      );

      expect(state).toBe(CHECK_VIOLATION);
    });
  });

  describe('vmegEntities', () => {
    it('reads a row with camelCase fields', async () => {
      const key = 'entity-read';
      await db.query(
        `INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, last_error, processed_at)
         VALUES ($1, 'openapi-tts', 'task-42', 500, '{"data": {"taskId": "task-42"}}', 'failed', 2, 'handler failed', NULL)`,
        [key],
      );

      const delivery = await dataSource.getRepository(VmegWebhookDelivery).findOneByOrFail({ pipelineKey: key });

      expect(delivery.pipelineKey).toBe(key);
      expect(delivery.event).toBe('openapi-tts');
      expect(delivery.taskId).toBe('task-42');
      expect(delivery.code).toBe(500);
      expect(delivery.payload).toEqual({ data: { taskId: 'task-42' } });
      expect(delivery.status).toBe('failed');
      expect(delivery.attempts).toBe(2);
      expect(delivery.lastError).toBe('handler failed');
      expect(delivery.receivedAt).toBeInstanceOf(Date);
      expect(delivery.updatedAt).toBeInstanceOf(Date);
      expect(delivery.processedAt).toBeNull();
    });

    it('returns the bigint id as a string', async () => {
      const key = 'entity-id';
      await insertDelivery(db, key);

      const delivery = await dataSource.getRepository(VmegWebhookDelivery).findOneByOrFail({ pipelineKey: key });

      expect(delivery.id).toMatch(/^[1-9][0-9]*$/);
    });

    it('finds rows by taskId', async () => {
      const key = 'entity-task';
      await insertDelivery(db, key);

      const deliveries = await dataSource.getRepository(VmegWebhookDelivery).findBy({ taskId: 'task-1' });

      expect(deliveries.map((delivery) => delivery.pipelineKey)).toContain(key);
    });
  });
});

describe('migration down', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let db: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = migrationDataSource(database.url);
    await dataSource.initialize();
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  /** Reverts every shipped migration, newest first, one undoLastMigration call each. */
  async function undoAll(): Promise<void> {
    for (let index = 0; index < vmegMigrations.length; index += 1) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
  }

  async function recordedMigrations(): Promise<number> {
    const result = await db.query('SELECT count(*)::int AS count FROM migrations');
    return result.rows[0].count;
  }

  it('drops the table', async () => {
    await dataSource.runMigrations({ transaction: 'each' });

    await undoAll();

    expect(await tableExists(db, TABLE)).toBe(false);
    expect(await recordedMigrations()).toBe(0);
  });

  it('runs up again after down', async () => {
    await dataSource.runMigrations({ transaction: 'each' });
    await undoAll();

    const applied = await dataSource.runMigrations({ transaction: 'each' });

    expect(applied).toHaveLength(vmegMigrations.length);
    expect(await tableExists(db, TABLE)).toBe(true);
    expect(await recordedMigrations()).toBe(vmegMigrations.length);
  });

  it('keeps the unique key after down and up', async () => {
    await undoAll();
    await dataSource.runMigrations({ transaction: 'each' });
    await insertDelivery(db, 'again');

    const state = await sqlStateOf(() => insertDelivery(db, 'again'));

    expect(state).toBe(UNIQUE_VIOLATION);
  });
});

describe('TypeORM CLI with ormconfig.ts', () => {
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

  function typeorm(command: 'migration:run' | 'migration:revert') {
    return run('npx', ['typeorm-ts-node-commonjs', command, '-d', 'ormconfig.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: database.url },
      timeout: 60_000,
    });
  }

  it('runs and reverts every migration', async () => {
    const { stdout } = await typeorm('migration:run');

    for (const migration of vmegMigrations) {
      expect(stdout).toContain(`Migration ${migration.name} has been executed successfully`);
    }
    expect(await tableExists(db, TABLE)).toBe(true);

    // migration:revert undoes one migration per call, the newest first.
    for (const migration of [...vmegMigrations].reverse()) {
      const revert = await typeorm('migration:revert');

      expect(revert.stdout).toContain(`Migration ${migration.name} has been reverted successfully`);
    }
    expect(await tableExists(db, TABLE)).toBe(false);
  });
});
