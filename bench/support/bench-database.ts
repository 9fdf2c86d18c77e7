import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { vmegMigrations } from '../../src';
import { startPostgres, type PostgresServer } from '../../src/devtools/embedded-postgres';

export interface BenchDatabase {
  server: PostgresServer;
  /** Creates a fresh migrated database on the server and returns its URL. */
  create(): Promise<string>;
  /** Drops every database `create` made, then stops an embedded server. */
  close(): Promise<void>;
}

/** Starts the embedded PostgreSQL (or uses DATABASE_URL) for a benchmark run. */
export async function openBenchDatabase(): Promise<BenchDatabase> {
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

/** Returns the value at quantile `q` (0 to 1) of `values`, by the nearest-rank method. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}
