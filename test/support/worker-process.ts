import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts test/fixtures/worker-process.ts, a worker in a process of its own
 * whose TTS handler blocks for `handlerSleepMs`, and resolves once that
 * handler has started for `pipelineKey`, so that a test can kill the process
 * inside the handler or watch its claim.
 */
export async function startBlockedWorker(databaseUrl: string, pipelineKey: string, handlerSleepMs = 60_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/fixtures/worker-process.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, HANDLER_SLEEP_MS: String(handlerSleepMs), LEASE_MS: '2000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  child.stderr?.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start the handler within 60 s: ${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes(`handler-started ${pipelineKey}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code}: ${output}`));
    });
  });
  return child;
}
