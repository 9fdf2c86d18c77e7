import fc from 'fast-check';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned, ttsBody, WEBHOOK_PATH } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, startTestApp, type HttpAdapterName, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';
import { canonicalJson } from './support/canonical-json';
import { fuzzRequests, type FuzzRequest } from './support/fuzz-requests';
import { mapConcurrently, sendRaw, type RawResponse } from './support/raw-http';
import { histogram, printSummary, runSeed } from './support/summary';

const FILE = 'test/reliability/http-fuzz.spec.ts';

/** Generated requests per adapter: most against the queued app, the rest against the inline one. */
const QUEUED_REQUESTS = 2400;
const INLINE_REQUESTS = 800;
const IN_FLIGHT = 12;

/** Statuses a webhook request may get for any input; a 5xx for client input is a defect. */
const ALLOWED_STATUSES = new Set([400, 401, 409, 413, 415]);

const BODY_LIMITS: Record<HttpAdapterName, number> = { express: 100 * 1024, fastify: 1024 * 1024 };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks whether Fastify's default prototype-poisoning protection rejects the
 * body with 400 before any route code runs: a `"__proto__"` key, or a
 * `"constructor"` key whose object value has a `"prototype"` key.
 */
function fastifyRejectsAsPoisoned(body: Buffer): boolean {
  let poisoned = false;
  JSON.parse(utf8.decode(body), (key, value: unknown) => {
    if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'))) {
      poisoned = true;
    }
    return value;
  });
  return poisoned;
}

interface Exchange {
  index: number;
  request: FuzzRequest;
  response: RawResponse;
}

function describeExchange({ index, request, response }: Exchange): string {
  const type = request.contentType === undefined ? 'none' : JSON.stringify(request.contentType);
  return `#${index} ${request.bodyKind}/${request.signatureMode} content-type ${type}${request.chunked ? ' chunked' : ''} ${request.body.length} bytes -> ${response.status} ${response.error ?? ''} ${response.text.slice(0, 160)}`;
}

describe.each(HTTP_ADAPTERS)('HTTP fuzz over %s', (adapter) => {
  const databases: TestDatabase[] = [];
  const clients: Client[] = [];
  const apps: TestApp[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(clients.map((client) => client.end()));
    await Promise.all(databases.map((database) => database.drop()));
  });

  async function prepare(dispatch: 'queued' | 'inline'): Promise<{ app: TestApp; db: Client; drain: () => Promise<void> }> {
    const { database, db } = await createInboxDatabase();
    databases.push(database);
    clients.push(db);
    if (dispatch === 'queued') {
      const app = await startQueuedApp(database.url, { concurrency: 8 }, adapter);
      apps.push(app);
      return { app, db, drain: () => app.inbox.waitUntilDrained({ timeoutMs: 90_000 }) };
    }
    const app = await startTestApp({ adapter, databaseUrl: database.url, providers: [RecordingHandlers], vmeg: { dispatch: 'inline' } });
    apps.push(app);
    return { app, db, drain: async () => undefined };
  }

  /**
   * Runs `count` generated requests against a fresh app. The inline run
   * uses the seed after `baseSeed`, so that it sends other requests than
   * the queued run; RELIABILITY_SEED=<baseSeed> replays both.
   */
  async function fuzz(dispatch: 'queued' | 'inline', count: number, baseSeed: number): Promise<void> {
    const seed = dispatch === 'inline' ? baseSeed + 1 : baseSeed;
    const { app, db, drain } = await prepare(dispatch);
    const port = Number(new URL(app.url).port);
    const keyPool = ['0'.repeat(32), 'shared-key-1', 'shared-key-2', '%_like_\\escape'];
    const requests = fc.sample(fuzzRequests(keyPool, BODY_LIMITS[adapter], Date.now()), { seed, numRuns: count });
    const reproduce = `(seed ${seed}; replay with RELIABILITY_SEED=${baseSeed})`;

    const responses = await mapConcurrently(requests, IN_FLIGHT, (request) => sendRaw(port, { path: WEBHOOK_PATH, headers: request.headers, body: request.wireBody }));
    const exchanges: Exchange[] = requests.map((request, index) => ({ index, request, response: responses[index] }));

    const violations: string[] = [];
    const acknowledged = new Map<string, Exchange>();
    let duplicates = 0;

    for (const exchange of exchanges) {
      const { request, response } = exchange;
      const success = response.status >= 200 && response.status < 300;
      const validlySigned = request.signatureMode === 'valid' || request.signatureMode === 'valid-uppercase';

      if (!success && !ALLOWED_STATUSES.has(response.status)) {
        violations.push(`status not allowed: ${describeExchange(exchange)}`);
      }
      if (success && !validlySigned) {
        violations.push(`2xx for a request that fails verification: ${describeExchange(exchange)}`);
      }
      const mustBeAccepted = request.mustBeAccepted && !(adapter === 'fastify' && fastifyRejectsAsPoisoned(request.body));
      if (mustBeAccepted && response.status !== 200) {
        violations.push(`valid delivery not accepted: ${describeExchange(exchange)}`);
      }
      if (!success) {
        continue;
      }

      const answer = JSON.parse(response.text) as { pipelineKey: string; outcome: string };
      if (answer.outcome === 'duplicate') {
        duplicates += 1;
        continue;
      }
      if (acknowledged.has(answer.pipelineKey)) {
        violations.push(`key ${answer.pipelineKey} acknowledged as new twice: ${describeExchange(exchange)}`);
      }
      acknowledged.set(answer.pipelineKey, exchange);
    }

    await drain();

    const { rows } = await db.query<{ pipeline_key: string; status: string; payload_text: string; big_integer: string | null }>(
      `SELECT pipeline_key, status, payload::text AS payload_text, payload->>'bigInteger' AS big_integer FROM vmeg_webhook_deliveries`,
    );
    const effects = await db.query<{ pipeline_key: string; count: number }>(
      `SELECT pipeline_key, count(*)::int AS count FROM handler_effects WHERE handler = 'onEvery' GROUP BY pipeline_key`,
    );
    const effectCounts = new Map(effects.rows.map((row) => [row.pipeline_key, row.count]));
    const stored = new Set(rows.map((row) => row.pipeline_key));

    for (const row of rows) {
      const exchange = acknowledged.get(row.pipeline_key);
      if (exchange === undefined) {
        violations.push(`row ${JSON.stringify(row.pipeline_key)} stored without a 2xx that acknowledged it as new`);
        continue;
      }
      if (row.status !== 'processed') {
        violations.push(`row ${JSON.stringify(row.pipeline_key)} is ${row.status} after the drain: ${describeExchange(exchange)}`);
      }
      if (canonicalJson(row.payload_text) !== canonicalJson(utf8.decode(exchange.request.body))) {
        violations.push(`stored payload differs from the received bytes: ${describeExchange(exchange)} stored ${row.payload_text.slice(0, 300)}`);
      }
      const bigInteger = exchange.request.bigIntegers.bigInteger;
      if (bigInteger !== undefined && row.big_integer !== bigInteger) {
        violations.push(`payload->>'bigInteger' is ${row.big_integer}, sent ${bigInteger}: ${describeExchange(exchange)}`);
      }
      if (effectCounts.get(row.pipeline_key) !== 1) {
        violations.push(`handler effect of ${JSON.stringify(row.pipeline_key)} written ${effectCounts.get(row.pipeline_key) ?? 0} times`);
      }
    }
    const lost = [...acknowledged.keys()].filter((key) => !stored.has(key));
    for (const key of lost) {
      violations.push(`acknowledged delivery lost: ${describeExchange(acknowledged.get(key)!)}`);
    }

    // The app still serves deliveries after the run.
    const after = ttsBody();
    const afterResponse = await sendSigned(app.url, after);

    const statuses = exchanges.map((exchange) => exchange.response.status);
    const counts = histogram(statuses);
    printSummary(FILE, `${adapter} ${dispatch}`, {
      seed,
      inputs: exchanges.length,
      unverified: exchanges.filter(({ request }) => !request.signatureMode.startsWith('valid')).length,
      acknowledged: acknowledged.size,
      duplicates,
      lost: lost.length,
      '5xx': statuses.filter((status) => status >= 500).length,
      'no-response': counts['0'] ?? 0,
      statuses: Object.entries(counts).map(([status, count]) => `${status}:${count}`).join(','),
    });

    expect(violations.slice(0, 20), `${violations.length} violation(s) ${reproduce}`).toEqual([]);
    // About a sixth of the generated requests are valid deliveries; far fewer means the generator broke.
    expect(acknowledged.size, `too few generated deliveries were accepted ${reproduce}`).toBeGreaterThan(count / 20);
    expect(afterResponse.status).toBe(200);
  }

  it('queued mode answers every input safely', async () => {
    await fuzz('queued', QUEUED_REQUESTS, runSeed());
  }, 180_000);

  it('inline mode answers every input safely', async () => {
    await fuzz('inline', INLINE_REQUESTS, runSeed());
  }, 120_000);
});
