/**
 * Child process that drives autocannon runs, one at a time, for the parent's
 * `runLoad` (load.ts): it receives `LoadOptions` over IPC and sends back a
 * `LoadSummary` per run. It stays up between runs, so that a run does not
 * wait for Node.js and autocannon to load.
 *
 * Every request needs its own signature over its own body, which autocannon's
 * `idReplacement` cannot give (it changes the body after signing). So this
 * process signs a pool of requests before the run, and a `setupRequest`
 * function gives each request the next headers and body of the pool.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { signVmegRequest } from '../../src';
import { buildTtsPayload } from '../../src/testing';
import { BENCH_SECRET } from './app-protocol';
import type { LoadOptions, LoadSummary } from './load-protocol';

/**
 * Fresh bodies signed per second of a timed run. Runs faster than this reuse
 * bodies, which `poolReused` reports; this 2-core machine acknowledges far
 * fewer.
 */
const MAX_EXPECTED_RATE = 10_000;

interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/** A realistic `openapi-tts` body whose `pipelineKey` and `taskId` are replaced per request. */
const TEMPLATE = JSON.stringify(buildTtsPayload({ pipelineKey: 'K'.repeat(32), data: { taskId: 'T'.repeat(32) } }));

function signPool(size: number): SignedRequest[] {
  const prefix = randomBytes(8).toString('hex');
  const timestampMs = Date.now();
  const pool: SignedRequest[] = [];

  for (let index = 0; index < size; index += 1) {
    const counter = index.toString(16).padStart(16, '0');
    const body = TEMPLATE.replaceAll('K'.repeat(32), `${prefix}${counter}`).replaceAll('T'.repeat(32), `${counter}${prefix}`);
    pool.push({ headers: { 'content-type': 'application/json', ...signVmegRequest(BENCH_SECRET, body, timestampMs) }, body });
  }
  return pool;
}

interface RunCounters {
  next: number;
  reused: number;
}

/** Runs autocannon once; request i gets pool entry i, wrapping around at the end of the pool. */
async function fire(options: LoadOptions, pool: SignedRequest[], counters: RunCounters, amount?: number): Promise<autocannon.Result> {
  return autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    amount,
    method: 'POST',
    requests: [
      {
        setupRequest: (request) => {
          const index = counters.next % pool.length;
          if (counters.next >= pool.length) {
            counters.reused += 1;
          }
          counters.next += 1;
          const entry = pool[index];
          return { ...request, headers: { ...request.headers, ...entry.headers }, body: entry.body };
        },
      },
    ],
  });
}

function summarize(result: autocannon.Result, reused: number): LoadSummary {
  const durationSeconds = result.duration;
  const ok = result['2xx'];
  return {
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds,
    throughput: ok / durationSeconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    poolReused: reused,
  };
}

async function load(options: LoadOptions): Promise<LoadSummary> {
  if (options.bodies.kind === 'replay') {
    // Store every key once, then send the same signed requests again.
    const pool = signPool(options.bodies.keys);
    await fire(options, pool, { next: 0, reused: 0 }, options.bodies.keys);
    const result = await fire(options, pool, { next: 0, reused: 0 }, options.amount);
    return summarize(result, 0);
  }

  const size = (options.amount ?? Math.ceil(options.durationSeconds * MAX_EXPECTED_RATE)) + options.connections;
  const counters = { next: 0, reused: 0 };
  const result = await fire(options, signPool(size), counters, options.amount);
  return summarize(result, counters.reused);
}

// Runs arrive one at a time: the parent waits for each reply before it sends the next.
process.on('message', (message: { id: number; options: LoadOptions }) => {
  load(message.options).then(
    (summary) => process.send?.({ id: message.id, type: 'result', summary }),
    (error: unknown) => process.send?.({ id: message.id, type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.send?.({ type: 'ready' });
