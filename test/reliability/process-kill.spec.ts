import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Client } from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signVmegRequest } from '../../src';
import { sendSigned, ttsBody, WEBHOOK_PATH } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import { HTTP_ADAPTERS, TEST_SECRET } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { retryUntilAcknowledged, sleep, startLoad } from './support/delivery-load';
import { auditDeliveries, waitUntilDrained } from './support/effects';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/process-kill.spec.ts';

/** The secret being rotated out; the app accepts both it and TEST_SECRET. */
const OLD_SECRET = 'whsec_rotating_out_7e3a9c1b5d2f4e6a';

interface AppProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** Starts test/reliability/fixtures/http-app-process.ts and resolves once it listens. */
async function startAppProcess(databaseUrl: string, adapter: string): Promise<AppProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'test/reliability/fixtures/http-app-process.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, ADAPTER: adapter, VMEG_SECRETS: JSON.stringify([OLD_SECRET, TEST_SECRET]) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app process did not listen within 60 s: ${output}`)), 60_000);
    const onData = (): void => {
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app process exited with ${code}: ${output}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

async function stopAppProcess(app: AppProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (app === undefined || app.child.exitCode !== null || app.child.signalCode !== null) {
    return;
  }
  const exited = once(app.child, 'exit');
  app.child.kill(signal);
  await exited;
}

describe.each(HTTP_ADAPTERS)('app process killed during a burst over %s', (adapter) => {
  let database: TestDatabase;
  let db: Client;
  let first: AppProcess | undefined;
  let successor: QueuedApp | undefined;

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
  });

  afterAll(async () => {
    await stopAppProcess(first, 'SIGKILL');
    await successor?.close();
    await db?.end();
    await database?.drop();
  });

  it('processes every acknowledged delivery after a restart', async () => {
    first = await startAppProcess(database.url, adapter);

    // Deliveries signed with the secret being rotated out still verify, and forged ones are logged.
    const oldSecretDelivery = ttsBody();
    await sendSigned(first.url, oldSecretDelivery, { secret: OLD_SECRET }).expect(200);
    for (const secret of ['forged-secret', `${TEST_SECRET}x`]) {
      await sendSigned(first.url, ttsBody(), { secret }).expect(401);
    }
    const unsigned = JSON.stringify(ttsBody());
    await request(first.url).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('X-Timestamp', signVmegRequest(TEST_SECRET, unsigned)['X-Timestamp']).send(unsigned).expect(401);

    const load = startLoad([first.url], { inFlight: 16, maxRequests: 400, maxDurationMs: 30_000 });
    const deadline = Date.now() + 30_000;
    while (load.answered.filter((delivery) => delivery.status === 200).length < 100 && Date.now() < deadline) {
      await sleep(5);
    }
    first.child.kill('SIGKILL');
    const sent = await load.stop();
    await once(first.child, 'exit').catch(() => undefined);

    const acknowledged = sent.filter((delivery) => delivery.status === 200);
    const unanswered = sent.filter((delivery) => delivery.status !== 200);

    // The successor runs in this process, with the same module options as the killed one.
    successor = await startQueuedApp(database.url, { pollIntervalMs: 100, leaseMs: 2000 }, adapter);
    await waitUntilDrained(database.url, 60_000);
    const afterRestart = await auditDeliveries(database.url, [oldSecretDelivery.pipelineKey as string, ...acknowledged.map((delivery) => delivery.key)]);

    // VMEG retries every request that got no 2xx; each must be processed once,
    // even if the killed process committed it before it could respond.
    const neverAcknowledged = await retryUntilAcknowledged([successor.url], unanswered, { maxAttempts: 10, delayMs: 100 });
    await waitUntilDrained(database.url, 60_000);
    const afterRetries = await auditDeliveries(database.url, sent.map((delivery) => delivery.key));

    const output = first.output();
    const lost = afterRestart.missing.length + afterRestart.unprocessed.length;

    printSummary(FILE, adapter, {
      requests: sent.length,
      'acknowledged-before-kill': acknowledged.length,
      'unanswered-at-kill': unanswered.length,
      'faults-injected': 1,
      lost,
      'effects-not-once': afterRetries.notExactlyOnce.length,
      'output-lines': output.split('\n').length,
    });

    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    expect(unanswered.length, 'the kill interrupted no request').toBeGreaterThan(0);
    expect(afterRestart).toEqual({ missing: [], unprocessed: [], notExactlyOnce: [] });
    expect(neverAcknowledged.map((delivery) => delivery.key)).toEqual([]);
    expect(afterRetries).toEqual({ missing: [], unprocessed: [], notExactlyOnce: [] });

    // The killed process logged at every level, rejections included, and never a secret.
    expect(output).toContain('Rejected a webhook request');
    expect(output).not.toContain(TEST_SECRET);
    expect(output).not.toContain(OLD_SECRET);
  }, 180_000);
});
