import { execFile } from 'node:child_process';
import { readFileSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { isErrorCode } from './embedded-postgres-package';

/** Time a fast shutdown may take, which includes a shutdown checkpoint. */
const SHUTDOWN_TIMEOUT_MS = 30_000;
/** Time the kernel may take to end a process after SIGKILL. */
const KILL_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 50;

/**
 * Stops the PostgreSQL server that runs on `dataDir`, if any. Does nothing
 * when no `postmaster.pid` is there.
 */
export async function stopServerIn(dataDir: string, log: (line: string) => void): Promise<void> {
  const pid = await readPostmasterPid(dataDir);
  if (pid !== undefined) {
    await stopPostgresProcess(pid, log);
  }
}

/**
 * Stops the PostgreSQL server with postmaster PID `pid`: SIGINT (fast
 * shutdown, which rolls back open transactions and disconnects clients),
 * then SIGKILL if it still runs after 30 s. Does nothing when `pid` is not a
 * running postgres process.
 */
export async function stopPostgresProcess(pid: number, log: (line: string) => void): Promise<void> {
  if (!isProcessAlive(pid) || !(await isPostgresProcess(pid))) {
    return;
  }

  log(`Stopping PostgreSQL server ${pid}.`);
  sendSignal(pid, 'SIGINT');
  if (await waitForExit(pid, SHUTDOWN_TIMEOUT_MS)) {
    return;
  }

  log(`PostgreSQL server ${pid} still runs ${SHUTDOWN_TIMEOUT_MS / 1000} s after SIGINT; sending SIGKILL.`);
  sendSignal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, KILL_TIMEOUT_MS))) {
    throw new Error(`PostgreSQL server ${pid} still runs ${KILL_TIMEOUT_MS / 1000} s after SIGKILL.`);
  }
}

/**
 * Reads the postmaster PID from the first line of `dataDir/postmaster.pid`.
 * Returns undefined when the file is missing, which is the case before the
 * server starts and after it stops cleanly.
 */
export async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT') || isErrorCode(error, 'ENOTDIR')) {
      return undefined;
    }
    throw error;
  }

  const pid = Number.parseInt(text.split('\n', 1)[0], 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Checks whether process `pid` exists and has not exited. A process of
 * another user counts as running. On Linux a zombie, which has exited but
 * was not reaped by its parent, counts as stopped.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return isErrorCode(error, 'EPERM');
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') {
    return false;
  }
  try {
    // The state is the first field after the command name in parentheses,
    // which may itself contain ')' (proc(5)).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Checks whether process `pid` runs the postgres executable, so that a PID
 * from a stale `postmaster.pid` that the OS has since given to another
 * program is never signalled.
 */
async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    if (process.platform === 'linux') {
      const command = await fs.readFile(`/proc/${pid}/comm`, 'utf8');
      return command.trim() === 'postgres';
    }
    const { stdout } = await promisify(execFile)('ps', ['-o', 'comm=', '-p', String(pid)]);
    return path.basename(stdout.trim()) === 'postgres';
  } catch {
    return false;
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: the process ended after the last check.
    if (!isErrorCode(error, 'ESRCH')) {
      throw error;
    }
  }
}

/** Polls until process `pid` ends; returns false if it still runs after `timeoutMs`. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return true;
}
