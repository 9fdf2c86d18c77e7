import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from './test-database';

describe('createTestDatabase', () => {
  let database: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('connects to a PostgreSQL server', async () => {
    const { rows } = await client.query<{ version: string }>('select version()');

    expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
  });

  it('connects to its own database', async () => {
    const { rows } = await client.query<{ name: string }>('select current_database() as name');

    expect(rows[0].name).toMatch(/^vmeg_test_[0-9a-f]{16}$/);
    expect(new URL(database.url).pathname).toBe(`/${rows[0].name}`);
  });

  it('stores and reads a row', async () => {
    await client.query('create table smoke (id int primary key, note text not null)');
    await client.query('insert into smoke (id, note) values ($1, $2)', [1, 'grüße']);

    const { rows } = await client.query('select id, note from smoke');

    expect(rows).toEqual([{ id: 1, note: 'grüße' }]);
  });

  // Durability tests mean nothing on a server that acknowledges commits before they reach disk.
  it('server uses durable settings', async () => {
    const setting = async (name: string): Promise<string> => {
      const { rows } = await client.query(`show ${name}`);
      return rows[0][name] as string;
    };

    expect(await setting('fsync')).toBe('on');
    expect(await setting('synchronous_commit')).toBe('on');
    expect(await setting('server_encoding')).toBe('UTF8');
  });
});

describe('TestDatabase.drop', () => {
  it('drops the database despite open sessions', async () => {
    const database = await createTestDatabase();
    const name = new URL(database.url).pathname.slice(1);
    const session = new Client({ connectionString: database.url });
    session.on('error', () => undefined); // DROP ... WITH (FORCE) ends this session.
    await session.connect();

    await database.drop();

    const server = new Client({ connectionString: inject('databaseUrl') });
    await server.connect();
    try {
      const { rowCount } = await server.query('select 1 from pg_database where datname = $1', [name]);
      expect(rowCount).toBe(0);
    } finally {
      await server.end();
      await session.end().catch(() => undefined);
    }
  });
});
