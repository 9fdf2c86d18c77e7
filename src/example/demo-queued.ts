import { DataSource } from 'typeorm';
import { VmegInbox, type VmegWorkerOptions } from '../index';
import { buildTtsPayload } from '../testing';
import type { ExampleApp } from './bootstrap';
import { DEMO_SCRIPT_KEY, DEMO_SCRIPTED_HANDLER_ID, DemoScriptedHandler, SLOW_HANDLER_MS, type DemoScript } from './demo-scripted-handler';
import { postDelivery, readDeliveryRow, signRequest, type SignedRequest } from './demo-requests';
import { equalityCheck, type DemoCheck } from './demo-table';
import { DubbingService } from './dubbing.service';

/**
 * Worker settings of the demo app. With retry delays of 100 to 400 ms and a
 * poll every 200 ms, a delivery fails three times within about a second.
 * The module's defaults start at 1 s and double up to 10 minutes.
 */
export const DEMO_WORKER: VmegWorkerOptions = {
  pollIntervalMs: 200,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 1000,
  maxAttempts: 3,
};

/** Maximum time that the worker may take to finish the deliveries of one step. */
const DRAIN_TIMEOUT_MS = 10_000;

/** The TTS deliveries of the queued-mode cases, one per `DemoScript`. */
export interface QueuedModeRequests {
  slow: SignedRequest;
  failTwice: SignedRequest;
  failUntilFixed: SignedRequest;
}

/** Builds one signed TTS delivery for each `DemoScript`. */
export function buildQueuedModeRequests(secret: string): QueuedModeRequests {
  const scripted = (script: DemoScript) => signRequest(JSON.stringify(buildTtsPayload({ extraData: { [DEMO_SCRIPT_KEY]: script } })), secret);
  return { slow: scripted('slow'), failTwice: scripted('fail-twice'), failUntilFixed: scripted('fail-until-fixed') };
}

/**
 * Runs the queued-mode cases one after another and returns their checks:
 * a slow handler whose 200 comes first, a handler that succeeds on its third
 * attempt, and one that fails until it is fixed, becomes dead and is then
 * replayed. The app must run with `DEMO_WORKER` and `DemoScriptedHandler`.
 */
export async function runQueuedModeCases(exampleApp: ExampleApp, url: string, requests: QueuedModeRequests): Promise<DemoCheck[]> {
  const context: QueuedModeContext = {
    url,
    dataSource: exampleApp.app.get(DataSource),
    inbox: exampleApp.app.get(VmegInbox),
    scripted: exampleApp.app.get(DemoScriptedHandler),
    dubbing: exampleApp.app.get(DubbingService),
  };

  console.log(
    '\nQueued-mode cases. The errors and warnings that VmegWorker logs from here on are the scripted failures, ' +
      'the retries they cause and the dead delivery.',
  );
  return [
    ...(await runSlowHandler(context, requests.slow)),
    ...(await runFailTwice(context, requests.failTwice)),
    ...(await runFailUntilFixed(context, requests.failUntilFixed)),
  ];
}

interface QueuedModeContext {
  url: string;
  dataSource: DataSource;
  inbox: VmegInbox;
  scripted: DemoScriptedHandler;
  dubbing: DubbingService;
}

async function runSlowHandler(context: QueuedModeContext, request: SignedRequest): Promise<DemoCheck[]> {
  const name = `slow handler (${SLOW_HANDLER_MS / 1000} s)`;
  const started = performance.now();
  const { response, elapsedMs: responseMs } = await postDelivery(context.url, request);
  await context.inbox.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });

  const finished = context.scripted.calls.find((call) => call.pipelineKey === request.pipelineKey && call.result === 'succeeded');
  const finishedMs = finished === undefined ? undefined : finished.finishedAt - started;
  const timing =
    `200 after ${Math.round(responseMs)} ms, ` + (finishedMs === undefined ? 'handler never finished' : `handler finished after ${Math.round(finishedMs)} ms`);
  console.log(`Queued mode, ${name}: ${timing}.`);

  return [
    equalityCheck(`${name}: response`, '200 queued', response),
    {
      name: `${name}: 200 first`,
      expected: '200 before the handler finishes',
      actual: timing,
      passed: response === '200 queued' && finishedMs !== undefined && responseMs < finishedMs,
    },
    equalityCheck(`${name}: delivery row`, 'processed, 1', await readDeliveryRow(context.dataSource, request.pipelineKey)),
  ];
}

async function runFailTwice(context: QueuedModeContext, request: SignedRequest): Promise<DemoCheck[]> {
  const name = 'fails twice, then succeeds';
  const { response } = await postDelivery(context.url, request);
  await context.inbox.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });
  console.log(`Queued mode, ${name}: scripted handler attempts ${context.scripted.describeCalls(request.pipelineKey)}.`);

  return [
    equalityCheck(`${name}: response`, '200 queued', response),
    equalityCheck(`${name}: scripted handler`, '1 failed, 2 failed, 3 succeeded', context.scripted.describeCalls(request.pipelineKey)),
    // DubbingService succeeded on attempt 1, so the retries skip it.
    equalityCheck(`${name}: DubbingService calls`, 1, countDubbingCalls(context, request.pipelineKey)),
    equalityCheck(`${name}: delivery row`, 'processed, 3', await readDeliveryRow(context.dataSource, request.pipelineKey)),
  ];
}

async function runFailUntilFixed(context: QueuedModeContext, request: SignedRequest): Promise<DemoCheck[]> {
  const name = 'fails until fixed';
  const fixedName = 'fixed and replayed';
  const maxAttempts = DEMO_WORKER.maxAttempts ?? 0;
  const failedAttempts = Array.from({ length: maxAttempts }, (_, index) => `${index + 1} failed`).join(', ');
  const checks: DemoCheck[] = [];

  context.scripted.fixed = false;
  const { response } = await postDelivery(context.url, request);
  await context.inbox.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });
  checks.push(
    equalityCheck(`${name}: response`, '200 queued', response),
    equalityCheck(`${name}: scripted handler`, failedAttempts, context.scripted.describeCalls(request.pipelineKey)),
    equalityCheck(`${name}: delivery row`, `dead, ${maxAttempts}`, await readDeliveryRow(context.dataSource, request.pipelineKey)),
  );

  // VMEG's retries of a dead delivery are duplicates and do not queue it again.
  const { response: retryResponse } = await postDelivery(context.url, request);
  await context.inbox.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });
  checks.push(
    equalityCheck(`${name}: VMEG retry`, '200 duplicate', retryResponse),
    equalityCheck(`${name}: row after VMEG retry`, `dead, ${maxAttempts}`, await readDeliveryRow(context.dataSource, request.pipelineKey)),
  );

  context.scripted.fixed = true;
  const replayed = await context.inbox.replay(request.pipelineKey);
  await context.inbox.waitUntilDrained({ timeoutMs: DRAIN_TIMEOUT_MS });
  const details = await context.inbox.find(request.pipelineKey);
  console.log(`Queued mode, ${name}: dead after ${maxAttempts} attempts, replayed after the fix, now ${details?.status ?? 'missing'}.`);

  checks.push(
    equalityCheck(`${fixedName}: inbox.replay()`, true, replayed),
    equalityCheck(`${fixedName}: scripted handler`, `${failedAttempts}, 1 succeeded`, context.scripted.describeCalls(request.pipelineKey)),
    // DubbingService succeeded on the first attempt, so neither the retries nor the replay run it again.
    equalityCheck(`${fixedName}: DubbingService calls`, 1, countDubbingCalls(context, request.pipelineKey)),
    equalityCheck(`${fixedName}: delivery row`, 'processed, 1', await readDeliveryRow(context.dataSource, request.pipelineKey)),
    equalityCheck(
      `${fixedName}: completed handlers`,
      `DubbingService.recordSpeech, ${DEMO_SCRIPTED_HANDLER_ID}`,
      details === undefined ? 'none' : details.completedHandlers.join(', '),
    ),
  );
  return checks;
}

function countDubbingCalls(context: QueuedModeContext, pipelineKey: string): number {
  return context.dubbing.calls.filter((call) => call.pipelineKey === pipelineKey).length;
}
