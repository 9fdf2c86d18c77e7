import 'reflect-metadata';
import type { LogLevel } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { startPostgres, type PostgresServer } from '../devtools/embedded-postgres';
import { VmegInbox } from '../index';
import {
  buildCloneVoicePayload,
  buildFailedCloneVoicePayload,
  buildMediaTranslationPayload,
  buildTranslatePayload,
  buildTtsPayload,
} from '../testing';
import { createExampleApp, type ExampleApp } from './bootstrap';
import { buildQueuedModeRequests, DEMO_WORKER, runQueuedModeCases, type QueuedModeRequests } from './demo-queued';
import { postDelivery, readAssetRow, readDeliveryRow, signRequest, type SignedRequest } from './demo-requests';
import { DemoScriptedHandler } from './demo-scripted-handler';
import { formatCheckTable, formatResultTable, matchesExpected, type DemoCheck, type DemoOutcome, type DemoResult } from './demo-table';
import { DubbingService } from './dubbing.service';

/**
 * Only warnings and errors, so that the tables stay readable. The two
 * rejected requests each log one warning from VmegSignatureGuard, and the
 * queued-mode cases log each scripted failure, retry and dead delivery.
 */
const LOG_LEVELS: LogLevel[] = ['error', 'warn'];

const HOST = '127.0.0.1';
const WEBHOOK_PATH = '/webhooks/vmeg';
/** Maximum time that the worker may take to run the handlers of one delivery. */
const DRAIN_TIMEOUT_MS = 10_000;
const STALE_AGE_MS = 10 * 60 * 1000;

interface DemoCase {
  name: string;
  request: SignedRequest;
  expected: DemoOutcome;
}

/**
 * Starts PostgreSQL (embedded, or DATABASE_URL), boots the example app on a
 * free port of 127.0.0.1, sends signed, retried, forged and stale deliveries
 * over HTTP and prints what happened to each. Then it shows the queued mode
 * with a demo-only handler: a slow handler, retries, a dead delivery and its
 * replay. Sets exit code 0 only when every request had the expected status,
 * handler calls and rows, and every queued-mode check passed.
 *
 * The app runs in the module's default queued mode: a 200 means that the
 * delivery is stored, and the app's worker runs the handlers afterwards. The
 * demo waits until no delivery is pending before it reads the rows.
 */
async function main(): Promise<void> {
  const secret = randomBytes(32).toString('hex');
  process.env.VMEG_WEBHOOK_SECRET = secret;

  const database = await startPostgres({ purpose: 'demo' });
  describeDatabase(database);
  if (!database.external) {
    process.env.DATABASE_URL = database.url;
  }

  let exampleApp: ExampleApp | undefined;
  let results: DemoResult[] = [];
  let checks: DemoCheck[] = [];
  try {
    exampleApp = await createExampleApp({ logLevels: LOG_LEVELS, worker: DEMO_WORKER, providers: [DemoScriptedHandler] });
    await exampleApp.app.listen(0, HOST);
    const { port } = exampleApp.app.getHttpServer().address() as AddressInfo;
    const url = `http://${HOST}:${port}${WEBHOOK_PATH}`;
    console.log(`Example app listening on ${url} (Nest logs warnings and errors only).\n`);

    const cases = buildCases(secret);
    const queuedModeRequests = buildQueuedModeRequests(secret);
    try {
      results = await runCases(exampleApp, url, cases);
      checks = await runQueuedModeCases(exampleApp, url, queuedModeRequests);
    } finally {
      if (database.external) {
        await deleteDemoRows(exampleApp, cases, queuedModeRequests);
      }
    }
  } finally {
    await exampleApp?.app.close();
    await database.stop();
  }

  console.log(`\n${formatResultTable(results)}\n`);
  const { maxAttempts, retryBaseDelayMs, retryMaxDelayMs } = DEMO_WORKER;
  console.log(`Queued mode (worker.maxAttempts ${maxAttempts}, worker.retryBaseDelayMs ${retryBaseDelayMs}, worker.retryMaxDelayMs ${retryMaxDelayMs}):\n`);
  console.log(`${formatCheckTable(checks)}\n`);

  const mismatches = results.filter((result) => !matchesExpected(result));
  const failedChecks = checks.filter((check) => !check.passed);
  if (mismatches.length === 0 && failedChecks.length === 0) {
    console.log(`Demo passed: all ${results.length} requests got the expected status, handler calls and rows, and all ${checks.length} queued-mode checks passed.`);
    return;
  }
  if (mismatches.length > 0) {
    console.log(`Demo failed: ${mismatches.length} of ${results.length} requests did not get the expected outcome: ${mismatches.map((result) => result.name).join('; ')}.`);
  }
  if (failedChecks.length > 0) {
    console.log(`Demo failed: ${failedChecks.length} of ${checks.length} queued-mode checks did not pass: ${failedChecks.map((check) => check.name).join('; ')}.`);
  }
  process.exitCode = 1;
}

/**
 * Builds the requests: one delivery of each event (the voice clone one
 * reports a failed task, `code` 500), a retry of the first with the same
 * bytes and headers, one signed with another secret and one signed 10
 * minutes ago.
 */
function buildCases(secret: string): DemoCase[] {
  const speech = signRequest(JSON.stringify(buildTtsPayload()), secret);
  const queued = (assetRow: string): DemoOutcome => ({ response: '200 queued', handlerCalls: 1, deliveryRow: 'processed, 1', assetRow });
  const rejected: DemoOutcome = { response: '401', handlerCalls: 0, deliveryRow: 'none', assetRow: 'none' };

  return [
    { name: 'openapi-tts', request: speech, expected: queued('ready') },
    { name: 'openapi-translate', request: signRequest(JSON.stringify(buildTranslatePayload()), secret), expected: queued('ready') },
    {
      name: 'openapi-clone-voice, code 500',
      request: signRequest(JSON.stringify(buildFailedCloneVoicePayload()), secret),
      expected: queued('failed'),
    },
    {
      name: 'openapi-media-translation',
      request: signRequest(JSON.stringify(buildMediaTranslationPayload()), secret),
      expected: queued('ready'),
    },
    {
      name: 'retry of openapi-tts, same bytes',
      request: speech,
      expected: { response: '200 duplicate', handlerCalls: 0, deliveryRow: 'processed, 1', assetRow: 'ready' },
    },
    {
      name: 'forged: wrong secret',
      request: signRequest(JSON.stringify(buildCloneVoicePayload()), randomBytes(32).toString('hex')),
      expected: rejected,
    },
    {
      name: 'stale: signed 10 min ago',
      request: signRequest(JSON.stringify(buildTtsPayload()), secret, Date.now() - STALE_AGE_MS),
      expected: rejected,
    },
  ];
}

/**
 * Sends the requests one after another. After each one it waits until the
 * worker has finished every delivery, then reads back what the request caused.
 */
async function runCases(exampleApp: ExampleApp, url: string, cases: DemoCase[]): Promise<DemoResult[]> {
  const handlerCalls = exampleApp.app.get(DubbingService).calls;
  const dataSource = exampleApp.app.get(DataSource);
  const inbox = exampleApp.app.get(VmegInbox);
  const results: DemoResult[] = [];

  for (const demoCase of cases) {
    const callsBefore = handlerCalls.length;
    const { response } = await postDelivery(url, demoCase.request);
    await inbox.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });

    results.push({
      name: demoCase.name,
      expected: demoCase.expected,
      actual: {
        response,
        handlerCalls: handlerCalls.length - callsBefore,
        deliveryRow: await readDeliveryRow(dataSource, demoCase.request.pipelineKey),
        assetRow: await readAssetRow(dataSource, demoCase.request.pipelineKey),
      },
    });
  }
  return results;
}

/** Deletes the rows that the demo's requests created, so that a database from DATABASE_URL keeps none of them. */
async function deleteDemoRows(exampleApp: ExampleApp, cases: DemoCase[], queuedModeRequests: QueuedModeRequests): Promise<void> {
  const dataSource = exampleApp.app.get(DataSource);
  const keys = [...cases.map((demoCase) => demoCase.request.pipelineKey), ...Object.values(queuedModeRequests).map((request) => request.pipelineKey)];
  await dataSource.query('DELETE FROM example_media_assets WHERE pipeline_key = ANY($1)', [keys]);
  await dataSource.query('DELETE FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1)', [keys]);
}

function describeDatabase(database: PostgresServer): void {
  if (database.external) {
    console.log('PostgreSQL: DATABASE_URL. The demo applies the migrations there and deletes the rows it creates when it ends.');
  } else {
    console.log(`PostgreSQL: embedded server on ${HOST}:${new URL(database.url).port}, deleted when the demo ends.`);
  }
}

main().catch((error: unknown) => {
  console.error(`Demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
