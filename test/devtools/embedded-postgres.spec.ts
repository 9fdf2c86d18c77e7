import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { startPostgres, type PostgresServer } from '../../src/devtools/embedded-postgres';
import { isProcessAlive, readPostmasterPid } from '../../src/devtools/postgres-process';

const PURPOSE = 'devtools-test';
const purposeDir = path.join(os.tmpdir(), `nestjs-vmeg-postgres-${process.getuid?.() ?? os.userInfo().username}`, PURPOSE);

async function findRunDirs(): Promise<string[]> {
  const names = await fs.readdir(purposeDir).catch(() => []);
  return names.filter((name) => name.startsWith(`${process.pid}-`)).map((name) => path.join(purposeDir, name));
}

async function selectOne(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ one: number }>('select 1 as one');
    return rows[0].one;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  const servers: PostgresServer[] = [];

  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  it('returns DATABASE_URL without starting a server', async () => {
    vi.stubEnv('DATABASE_URL', 'postgres://someone@127.0.0.1:1/none');

    const server = await startPostgres({ purpose: PURPOSE });

    expect(server).toMatchObject({ url: 'postgres://someone@127.0.0.1:1/none', external: true });
    await expect(server.stop()).resolves.toBeUndefined();
  });

  it('rejects an invalid purpose', async () => {
    vi.stubEnv('DATABASE_URL', undefined);

    await expect(startPostgres({ purpose: '../x' })).rejects.toThrow(/Invalid purpose "\.\.\/x"/);
  });

  it('starts PostgreSQL 18 bound to 127.0.0.1', async () => {
    vi.stubEnv('DATABASE_URL', undefined);
    const server = await startPostgres({ purpose: PURPOSE });
    servers.push(server);
    const client = new Client({ connectionString: server.url });
    await client.connect();
    const setting = async (name: string): Promise<string> => {
      const { rows } = await client.query(`show ${name}`);
      return rows[0][name] as string;
    };

    try {
      expect(await setting('server_version')).toMatch(/^18\./);
      expect(await setting('listen_addresses')).toBe('127.0.0.1');
      expect(await setting('fsync')).toBe('on');
      expect(await setting('synchronous_commit')).toBe('on');
      expect(await setting('max_connections')).toBe('200');
      expect(await setting('server_encoding')).toBe('UTF8');
    } finally {
      await client.end();
    }
  });

  it('stop ends server and deletes files', async () => {
    vi.stubEnv('DATABASE_URL', undefined);
    const logLines: string[] = [];
    const server = await startPostgres({ purpose: PURPOSE, log: (line) => logLines.push(line) });
    servers.push(server);
    const [runDir] = await findRunDirs();
    const serverPid = await readPostmasterPid(path.join(runDir, 'data'));

    expect(server.external).toBe(false);
    expect(server.url).toMatch(/^postgres:\/\/postgres:[0-9a-f]{48}@127\.0\.0\.1:\d+\/postgres$/);
    expect(await selectOne(server.url)).toBe(1);
    expect(logLines.some((line) => line.includes('database system is ready to accept connections'))).toBe(true);

    await server.stop();

    expect(isProcessAlive(serverPid!)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
  });

  it('stops a server left behind by a dead process', async () => {
    vi.stubEnv('DATABASE_URL', undefined);
    const abandoned = await startPostgres({ purpose: PURPOSE });
    servers.push(abandoned);
    const [runDir] = await findRunDirs();
    const abandonedPid = await readPostmasterPid(path.join(runDir, 'data'));
    // Give the run directory the name of a process that has exited, as if the
    // process that started the server had been killed.
    const deadPid = spawnSync(process.execPath, ['--version']).pid;
    const staleRunDir = path.join(purposeDir, `${deadPid}-0123abcd`);
    await fs.rename(runDir, staleRunDir);

    const server = await startPostgres({ purpose: PURPOSE });
    servers.push(server);

    expect(abandonedPid).toBeGreaterThan(0);
    expect(isProcessAlive(abandonedPid!)).toBe(false);
    expect(existsSync(staleRunDir)).toBe(false);
    expect(await selectOne(server.url)).toBe(1);
  });
});
