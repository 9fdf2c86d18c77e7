import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Output and exit code of one `vmeg-webhook` run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Variables added to the child's environment. A value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  /** Bytes written to the child's standard input, which is closed afterwards. */
  input?: string | Buffer;
  /** Maximum run time in ms before the child is killed and the promise rejects. Default 60000. */
  timeoutMs?: number;
}

/**
 * Runs src/cli/main.ts in a child process with ts-node, from the repository
 * root. The child does not inherit VMEG_WEBHOOK_SECRET or DATABASE_URL (CI
 * sets the latter for the test server), so each test passes what it means to.
 */
export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, VMEG_WEBHOOK_SECRET: undefined, DATABASE_URL: undefined, ...options.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) {
      delete env[name];
    }
  }

  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(options.input ?? '');

  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vmeg-webhook ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses the JSON that a `--json` run printed, with the run's output in the error when it is not JSON. */
export function parseJsonOutput<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit code ${run.code}); stdout: ${run.stdout}; stderr: ${run.stderr}`);
  }
}

/** Returns a port on 127.0.0.1 that nothing listens on: bound once by this process, then released. */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
