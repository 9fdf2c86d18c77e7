import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { startPostgres, type PostgresServer } from '../../../src/devtools/embedded-postgres';
import { isProcessAlive, readPostmasterPid, stopServerIn } from '../../../src/devtools/postgres-process';

const PURPOSE = 'reliability-restart';
const STOP_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 60_000;

/**
 * An embedded PostgreSQL 18 that this test file starts for itself, on
 * 127.0.0.1, and may crash and start again on the same data directory and
 * port. It never touches the server that the rest of the suite uses.
 */
export interface RestartablePostgres {
  /** URL of the maintenance database `postgres`. */
  url: string;
  /** Ends the server as a crash would: immediate shutdown (SIGQUIT), no checkpoint. */
  crash(): Promise<void>;
  /** Starts the server again; it replays its WAL before it accepts connections. */
  start(): Promise<void>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

/**
 * Starts the server with `startPostgres`, which returns DATABASE_URL instead
 * when it is set. The variable is hidden for the call, so that the test
 * starts its own server in both CI passes rather than restart a shared one.
 */
export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const saved = process.env.DATABASE_URL;
  let server: PostgresServer;
  try {
    delete process.env.DATABASE_URL;
    server = await startPostgres({ purpose: PURPOSE });
  } finally {
    if (saved !== undefined) {
      process.env.DATABASE_URL = saved;
    }
  }

  const dataDir = await findDataDir();
  // postmaster.opts contains the command line the server was started with.
  const command = parseCommandLine(await fs.readFile(path.join(dataDir, 'postmaster.opts'), 'utf8'));

  return {
    url: server.url,
    crash: async () => {
      const pid = await readPostmasterPid(dataDir);
      if (pid === undefined) {
        throw new Error(`no postmaster.pid in ${dataDir}`);
      }
      process.kill(pid, 'SIGQUIT');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (isProcessAlive(pid)) {
        if (Date.now() > deadline) {
          throw new Error(`PostgreSQL ${pid} still runs ${STOP_TIMEOUT_MS} ms after SIGQUIT`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    start: () => startAgain(command, server.url),
    stop: async () => {
      // The restarted server has another PID than the one server.stop() stops.
      await stopServerIn(dataDir, () => undefined);
      await server.stop();
    },
  };
}

async function findDataDir(): Promise<string> {
  const userId = process.getuid?.() ?? os.userInfo().username;
  const purposeDir = path.join(os.tmpdir(), `nestjs-vmeg-postgres-${userId}`, PURPOSE);
  const runs = (await fs.readdir(purposeDir)).filter((name) => name.startsWith(`${process.pid}-`));
  if (runs.length !== 1) {
    throw new Error(`expected one run directory of process ${process.pid} in ${purposeDir}, found ${runs.length}`);
  }
  return path.join(purposeDir, runs[0], 'data');
}

/** Splits `/path/postgres "-D" "/data" "-p" "5433"` into the program and its arguments. */
function parseCommandLine(text: string): string[] {
  return [...text.trim().matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => (match[1] ?? match[2]).replace(/\\(.)/g, '$1'));
}

/**
 * Runs the recorded command line again, as the OS user postgres when this
 * process is root (PostgreSQL refuses to run as root), and resolves once a
 * connection succeeds.
 */
async function startAgain(command: string[], url: string): Promise<void> {
  const asPostgres = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
  const child = spawn(command[0], command.slice(1), { ...asPostgres, stdio: 'ignore', detached: false });
  child.unref();

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`PostgreSQL did not accept connections after a restart: ${String(error)}`);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
