import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { vmegMigrations } from '../../src';
import { startPostgres, type PostgresServer } from '../../src/devtools/embedded-postgres';
import type { BenchAppVariant } from './app-protocol';
import { CREATE_HAND_WRITTEN_TABLE } from './hand-written-table';

export interface BenchDatabase {
  server: PostgresServer;
  /** Creates a fresh migrated database on the server and returns its URL. */
  create(): Promise<string>;
  /** Drops every database `create` made, then stops an embedded server. */
  close(): Promise<void>;
}

export interface BenchDatabaseOptions {
  /**
   * Keep `synchronous_commit` on in the databases that `create` makes. By
   * default they set it off, so that a commit does not wait for the WAL
   * flush and the figures show the CPU work of the code under test instead
   * of the disk's flush latency.
   */
  durable?: boolean;
}

/** Starts the embedded PostgreSQL (or uses DATABASE_URL) for a benchmark run. */
export async function openBenchDatabase(options: BenchDatabaseOptions = {}): Promise<BenchDatabase> {
  const server = await startPostgres({ purpose: 'bench' });
  const created: string[] = [];

  async function admin(sql: string): Promise<void> {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  return {
    server,
    async create() {
      const name = `vmeg_bench_${randomBytes(6).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      created.push(name);
      if (!options.durable) {
        await admin(`ALTER DATABASE ${name} SET synchronous_commit TO off`);
      }

      const url = new URL(server.url);
      url.pathname = `/${name}`;
      const dataSource = new DataSource({ type: 'postgres', url: url.toString(), migrations: [...vmegMigrations] });
      await dataSource.initialize();
      await dataSource.runMigrations();
      await dataSource.destroy();
      return url.toString();
    },
    async close() {
      for (const name of created) {
        await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
      await server.stop();
    },
  };
}

/** Runs one statement on the database at `url` over a connection of its own and returns the rows. */
export async function runSql<TRow = Record<string, unknown>>(url: string, sql: string, parameters: unknown[] = []): Promise<TRow[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql, parameters);
    return result.rows as TRow[];
  } finally {
    await client.end();
  }
}

/** Returns the value at quantile `q` (0 to 1) of `values`, by the nearest-rank method. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Creates a migrated database for `variant`; the hand-written route gets its own copy of the table. */
export async function createVariantDatabase(database: BenchDatabase, variant: BenchAppVariant): Promise<string> {
  const url = await database.create();
  if (variant === 'hand-written') {
    await runSql(url, CREATE_HAND_WRITTEN_TABLE);
  }
  return url;
}
