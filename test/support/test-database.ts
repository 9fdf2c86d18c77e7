import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  /** URL of the new database, on the server of this test run. */
  url: string;
  /** Drops the database, ending any sessions still connected to it. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database for one test file on the server that
 * test/support/global-setup.ts provides, so that test files can run in
 * parallel without seeing each other's rows. Call it in beforeAll and
 * `drop()` in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('databaseUrl');
  // Only hex digits follow the prefix, so the name needs no quoting.
  const name = `vmeg_test_${randomBytes(8).toString('hex')}`;
  await runOnServer(serverUrl, `CREATE DATABASE ${name}`);

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    // WITH (FORCE) needs PostgreSQL 13 or later.
    drop: () => (dropping ??= runOnServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function runOnServer(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
