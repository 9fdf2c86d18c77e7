import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { LoadOptions, LoadSummary } from './load-protocol';

/** Time a run may take beyond its length: signing the pool, priming replayed keys. */
const OVERHEAD_TIMEOUT_MS = 180_000;
const START_TIMEOUT_MS = 60_000;

let generator: Promise<ChildProcess> | undefined;
let nextId = 1;

/** Starts the load generator process (load-worker.ts) once and reuses it for every run. */
function startGenerator(): Promise<ChildProcess> {
  generator ??= new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'load-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the load generator did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      generator = undefined;
      reject(new Error(`the load generator exited with code ${code}`));
    });
    child.once('message', () => {
      clearTimeout(timer);
      resolve(child);
    });
  });
  return generator;
}

/** Runs autocannon in the load generator's process and returns its summary. */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const child = await startGenerator();
  const id = nextId++;
  // An amount-based run has no fixed length; allow 1 ms per request on top.
  const timeoutMs = OVERHEAD_TIMEOUT_MS + (options.amount ?? 0) + options.durationSeconds * 1000;

  return new Promise((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      finish();
      child.kill('SIGKILL');
      reject(new Error(`load run against ${options.url} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: { id?: number; type: string; summary?: LoadSummary; message?: string }) => {
      if (message.id !== id) {
        return;
      }
      finish();
      if (message.type === 'result' && message.summary) {
        resolve(message.summary);
      } else {
        reject(new Error(`load run against ${options.url} failed: ${message.message}`));
      }
    };
    const onExit = (code: number | null) => {
      finish();
      reject(new Error(`the load generator exited with code ${code} during a run against ${options.url}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ id, options });
  });
}

/** Stops the load generator process, if one was started. */
export async function stopLoadGenerator(): Promise<void> {
  const pending = generator;
  generator = undefined;
  if (pending === undefined) {
    return;
  }
  const child = await pending.catch(() => undefined);
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Throws when a run had failed requests or reused fresh bodies, because its figures would mislead. */
export function assertCleanRun(label: string, summary: LoadSummary): void {
  const problems: string[] = [];
  if (summary.non2xx > 0) problems.push(`${summary.non2xx} non-2xx responses`);
  if (summary.errors > 0) problems.push(`${summary.errors} connection errors`);
  if (summary.timeouts > 0) problems.push(`${summary.timeouts} time-outs`);
  if (summary.poolReused > 0) problems.push(`${summary.poolReused} requests reused a fresh body (pool too small)`);
  if (summary.ok === 0) problems.push('no 2xx response');
  if (problems.length > 0) {
    throw new Error(`${label}: ${problems.join(', ')}`);
  }
}
