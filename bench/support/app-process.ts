import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { AppRequest, AppResponse, BenchAppConfig } from './app-protocol';

const START_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 60_000;

/** A benchmark app running in a child process. */
export interface BenchApp {
  config: BenchAppConfig;
  /** URL of the app's webhook route on 127.0.0.1. */
  url: string;
  pid: number;
  request<T extends AppResponse['type']>(type: AppRequest['type']): Promise<Extract<AppResponse, { type: T }>>;
  /** Closes the app and waits for the process to exit; kills it if it does not exit in time. */
  stop(): Promise<void>;
}

/** Node options of an app process, before `-r ts-node/register/transpile-only`. */
export interface StartAppOptions {
  nodeOptions?: string[];
}

/** Forks bench-app.ts under ts-node (transpile-only keeps decorator metadata) and waits until it listens. */
export async function startBenchApp(config: BenchAppConfig, options: StartAppOptions = {}): Promise<BenchApp> {
  const child = fork(path.join(__dirname, 'bench-app.ts'), [], {
    execArgv: [...(options.nodeOptions ?? []), '-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, BENCH_APP_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  const port = await waitForReady(child, config);
  const route = config.variant === 'hand-written' ? 'hand-written' : 'webhooks/vmeg';
  let nextId = 1;

  const request = <T extends AppResponse['type']>(type: AppRequest['type']): Promise<Extract<AppResponse, { type: T }>> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`app ${describe(config)} sent no reply to "${type}" within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      const onMessage = (message: { id?: number; type: string; message?: string }) => {
        if (message.id !== id) {
          return;
        }
        clearTimeout(timer);
        child.off('message', onMessage);
        if (message.type === 'error') {
          reject(new Error(`app ${describe(config)} failed "${type}": ${message.message}`));
        } else {
          resolve(message as Extract<AppResponse, { type: T }>);
        }
      };
      child.on('message', onMessage);
      child.send({ id, type });
    });
  };

  return {
    config,
    url: `http://127.0.0.1:${port}/${route}`,
    pid: child.pid ?? -1,
    request,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await request('stop');
      } catch {
        child.kill('SIGKILL');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), REQUEST_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitForReady(child: ChildProcess, config: BenchAppConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`app ${describe(config)} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`app ${describe(config)} exited with code ${code} before it listened`));
    };
    child.once('exit', onExit);
    child.on('message', function onReady(message: { type: string; port?: number }) {
      if (message.type === 'ready' && message.port !== undefined) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onReady);
        resolve(message.port);
      }
    });
  });
}

export function describe(config: BenchAppConfig): string {
  return `${config.adapter}/${config.variant}`;
}

/** Starts several apps at once; when one fails to start, stops the others and throws its error. */
export async function startBenchApps(configs: BenchAppConfig[], options: StartAppOptions = {}): Promise<BenchApp[]> {
  const results = await Promise.allSettled(configs.map((config) => startBenchApp(config, options)));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    for (const result of results) {
      if (result.status === 'fulfilled') {
        await result.value.stop();
      }
    }
    throw failure.reason;
  }
  return results.map((result) => (result as PromiseFulfilledResult<BenchApp>).value);
}

/** Stops every app, one after another. */
export async function stopBenchApps(apps: BenchApp[]): Promise<void> {
  for (const app of apps) {
    await app.stop();
  }
}
