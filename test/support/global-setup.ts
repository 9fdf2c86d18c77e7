import { Client } from 'pg';
import type { TestProject } from 'vitest/node';

import { startPostgres, type PostgresServer } from '../../src/devtools/embedded-postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * URL of the PostgreSQL server for this run. Test files create their own
     * database on it with createTestDatabase().
     */
    databaseUrl: string;
  }
}

/**
 * Starts the PostgreSQL server for the whole run, DATABASE_URL or an
 * embedded PostgreSQL 18, and stops it after the last test file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres({ purpose: 'test' });
  try {
    const version = await readServerVersion(server.url);
    // CI runs the suite against both servers, so print which one this run uses.
    console.log(`Tests use PostgreSQL ${version}: ${describeServer(server)}`);
  } catch (error) {
    await server.stop();
    throw error;
  }

  project.provide('databaseUrl', server.url);
  return () => server.stop();
}

async function readServerVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version;
  } finally {
    await client.end();
  }
}

function describeServer(server: PostgresServer): string {
  if (!server.external) {
    return `embedded server on port ${new URL(server.url).port}`;
  }
  return `DATABASE_URL=${maskPassword(server.url)}`;
}

function maskPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL, not shown because it may contain a password)';
  }
  if (parsed.password !== '') {
    parsed.password = '***';
  }
  return parsed.toString();
}
