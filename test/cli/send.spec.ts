import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VMEG_EVENTS } from '../../src';
import { buildCloneVoicePayload, buildTtsPayload } from '../../src/testing';
import { WEBHOOK_PATH } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { findClosedPort, parseJsonOutput, runCli, type CliRun } from '../support/run-cli';
import { startTestApp, TEST_SECRET, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';

interface SendJson {
  url: string;
  results: { index: number; event?: string; pipelineKey?: string; status?: number; detail: string; durationMs: number }[];
  summary: { requests: number; statuses: Record<string, number>; expectedStatus: number | string; unexpected: number };
}

const DEFENCE_SWITCHES = ['--forge', '--stale', '--future', '--seconds'] as const;

describe('vmeg-webhook send', () => {
  let database: TestDatabase;
  let db: Client;
  let app: QueuedApp;
  /** An inline app that accepts timestamps up to an hour old, to show a defence test failing. */
  let lenientApp: TestApp;
  let workDirectory: string;
  /** Every run of this file, to check that none printed the secret. */
  const runs: CliRun[] = [];

  const endpoint = () => `${app.url}${WEBHOOK_PATH}`;

  async function send(args: string[], env: Record<string, string | undefined> = { VMEG_WEBHOOK_SECRET: TEST_SECRET }, input?: string | Buffer): Promise<CliRun> {
    const run = await runCli(['send', ...args], { env, input });
    runs.push(run);
    return run;
  }

  async function storedRow(pipelineKey: string): Promise<{ event: string; code: number; payload: Record<string, unknown> } | undefined> {
    const { rows } = await db.query('SELECT event, code, payload FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
    return rows[0];
  }

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());
    app = await startQueuedApp(database.url);
    lenientApp = await startTestApp({
      adapter: 'express',
      databaseUrl: database.url,
      providers: [RecordingHandlers],
      vmeg: { dispatch: 'inline', toleranceSeconds: 3600 },
    });
    workDirectory = await mkdtemp(join(tmpdir(), 'vmeg-cli-send-'));
  });

  afterAll(async () => {
    await lenientApp?.close();
    await app?.close();
    await db?.end();
    await database?.drop();
    if (workDirectory !== undefined) {
      await rm(workDirectory, { recursive: true, force: true });
    }
  });

  describe.each(VMEG_EVENTS)('%s sample', (event) => {
    it('is acknowledged and stored', async () => {
      const run = await send(['--url', endpoint(), '--event', event, '--json']);

      expect(run.code, run.stderr).toBe(0);
      const output = parseJsonOutput<SendJson>(run);
      expect(output.results).toHaveLength(1);
      expect(output.results[0].status).toBe(200);
      expect(output.results[0].detail).toBe('queued');
      expect(output.results[0].event).toBe(event);
      const row = await storedRow(output.results[0].pipelineKey!);
      expect(row?.event).toBe(event);
      expect(row?.code).toBe(200);
    });

    it('failure variant is stored with its code', async () => {
      const run = await send(['--url', endpoint(), '--event', event, '--failed', '--json']);

      expect(run.code, run.stderr).toBe(0);
      const output = parseJsonOutput<SendJson>(run);
      expect(output.results[0].status).toBe(200);
      const row = await storedRow(output.results[0].pipelineKey!);
      expect(row?.event).toBe(event);
      expect(row?.code).toBe(500);
      expect((row?.payload as { message: string }).message).not.toBe('');
    });
  });

  it('prints one line per response', async () => {
    const run = await send(['--url', endpoint(), '--event', 'openapi-tts']);

    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^#1 {2}200 {2} +\d+ ms {2}openapi-tts +[0-9a-f]{32} {2}queued$/);
    expect(lines[1]).toMatch(/^1 request in \d+ ms: 200 x1; time min \d+ ms, median \d+ ms, max \d+ ms$/);
    expect(lines[2]).toBe('every response was 2xx');
    expect(run.stderr).toBe('');
  });

  it('--repeat stores one row for the retries', async () => {
    const run = await send(['--url', endpoint(), '--event', 'openapi-clone-voice', '--repeat', '3', '--json']);

    expect(run.code, run.stderr).toBe(0);
    const output = parseJsonOutput<SendJson>(run);
    const keys = new Set(output.results.map((result) => result.pipelineKey));
    expect(keys.size).toBe(1);
    expect(output.results.map((result) => result.status)).toEqual([200, 200, 200]);
    expect(output.results.map((result) => result.detail)).toEqual(['queued', 'duplicate', 'duplicate']);
    const { rows } = await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [[...keys][0]]);
    expect(rows[0].count).toBe(1);
  });

  it('--count sends distinct deliveries concurrently', async () => {
    const run = await send(['--url', endpoint(), '--event', 'openapi-translate', '--count', '6', '--concurrency', '3', '--json']);

    expect(run.code, run.stderr).toBe(0);
    const output = parseJsonOutput<SendJson>(run);
    const keys = output.results.map((result) => result.pipelineKey!);
    expect(new Set(keys).size).toBe(6);
    expect(output.results.map((result) => result.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(output.summary.statuses).toEqual({ '200': 6 });
    const { rows } = await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1)', [keys]);
    expect(rows[0].count).toBe(6);
  });

  it('--file sends the file byte for byte', async () => {
    const payload = buildTtsPayload({ extraData: { orderId: 'order-from-file' } });
    const path = join(workDirectory, 'tts.json');
    await writeFile(path, JSON.stringify(payload, null, 2));

    const run = await send(['--url', endpoint(), '--file', path, '--json']);

    expect(run.code, run.stderr).toBe(0);
    expect(parseJsonOutput<SendJson>(run).results[0].detail).toBe('queued');
    const row = await storedRow(payload.pipelineKey);
    expect(row?.payload).toEqual(payload);
  });

  it('--file with --count gives each copy a new pipelineKey', async () => {
    const payload = buildCloneVoicePayload();
    const path = join(workDirectory, 'clone-voice.json');
    await writeFile(path, JSON.stringify(payload));

    const run = await send(['--url', endpoint(), '--file', path, '--count', '2', '--json']);

    expect(run.code, run.stderr).toBe(0);
    const keys = parseJsonOutput<SendJson>(run).results.map((result) => result.pipelineKey!);
    expect(new Set(keys).size).toBe(2);
    expect(keys).not.toContain(payload.pipelineKey);
    for (const key of keys) {
      const row = await storedRow(key);
      expect(row?.event).toBe('openapi-clone-voice');
      expect((row?.payload as { data: unknown }).data).toEqual(payload.data);
    }
  });

  it('"-" reads the body from standard input', async () => {
    const payload = buildTtsPayload();

    const run = await send(['--url', endpoint(), '-', '--json'], { VMEG_WEBHOOK_SECRET: TEST_SECRET }, JSON.stringify(payload));

    expect(run.code, run.stderr).toBe(0);
    expect(parseJsonOutput<SendJson>(run).results[0].status).toBe(200);
    expect((await storedRow(payload.pipelineKey))?.payload).toEqual(payload);
  });

  it('exits 1 on a non-2xx response', async () => {
    const path = join(workDirectory, 'not-json.json');
    await writeFile(path, 'this is not JSON');

    const run = await send(['--url', endpoint(), '--file', path]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^#1 {2}400 /m);
    expect(run.stdout).toContain('1 of 1 responses were not 2xx');
  });

  it('--timeout fails a slow response', async () => {
    const payload = buildTtsPayload();
    lenientApp.app.get(RecordingHandlers).delayMs.set(payload.pipelineKey, 3000);
    const path = join(workDirectory, 'slow.json');
    await writeFile(path, JSON.stringify(payload));

    const run = await send(['--url', `${lenientApp.url}${WEBHOOK_PATH}`, '--file', path, '--timeout', '500']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^#1 {2}--- .* timed out after 500 ms$/m);
    expect(run.stdout).toContain('timeout x1');
  });

  describe.each(DEFENCE_SWITCHES)('%s', (defence) => {
    it('gets 401 and exits 0', async () => {
      const run = await send(['--url', endpoint(), '--event', 'openapi-tts', '--count', '2', defence, '--json']);

      expect(run.code, run.stderr).toBe(0);
      const output = parseJsonOutput<SendJson>(run);
      expect(output.results.map((result) => result.status)).toEqual([401, 401]);
      expect(output.summary.expectedStatus).toBe(401);
      expect(output.summary.unexpected).toBe(0);
      for (const result of output.results) {
        expect(await storedRow(result.pipelineKey!)).toBeUndefined();
      }
    });

    it('says the rejection was expected', async () => {
      const run = await send(['--url', endpoint(), '--event', 'openapi-translate', defence]);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^#1 {2}401 /m);
      expect(run.stdout).toContain(`every response was 401, as expected for ${defence} (`);
    });
  });

  it('--forge needs no secret', async () => {
    const run = await send(['--url', endpoint(), '--event', 'openapi-tts', '--forge'], {});

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^#1 {2}401 /m);
  });

  it('defence switch exits 1 when accepted', async () => {
    const run = await send(['--url', `${lenientApp.url}${WEBHOOK_PATH}`, '--event', 'openapi-tts', '--stale']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^#1 {2}200 /m);
    expect(run.stdout).toContain('expected 401 for --stale (a timestamp 10 minutes old), but 1 of 1 responses were not 401');
  });

  it('refused connection exits 2', async () => {
    const port = await findClosedPort();
    const url = `http://127.0.0.1:${port}/webhooks/vmeg`;

    const run = await send(['--url', url, '--event', 'openapi-tts']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: connection refused at ${url}: is the app running?\n`);
    expect(run.stdout).toBe('');
  });

  it('missing secret exits 2', async () => {
    const run = await send(['--url', endpoint(), '--event', 'openapi-tts'], {});

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "error: missing webhook secret: set VMEG_WEBHOOK_SECRET or pass --secret (the secret from VMEG's API Configuration page)\n",
    );
  });

  it('--secret signs like the environment variable', async () => {
    const run = await send(['--url', endpoint(), '--event', 'openapi-tts', '--secret', TEST_SECRET], {});

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^#1 {2}200 .* queued$/m);
  });

  it.each([
    [['--url', 'not a url', '--event', 'openapi-tts'], "error: option '--url <url>' argument 'not a url' is invalid. Expected an absolute http:// or https:// URL"],
    [['--url', 'ftp://127.0.0.1/webhooks/vmeg', '--event', 'openapi-tts'], 'Expected an http:// or https:// URL, not ftp:.'],
    [['--event', 'openapi-unknown'], "error: option '--event <event>' argument 'openapi-unknown' is invalid. Allowed choices are"],
    [[], 'error: choose one body: --event <event>, --file <path>, or "-" for standard input'],
    [['--event', 'openapi-tts', '--file', 'body.json'], 'error: choose one body'],
    [['--file', 'body.json', '--failed'], 'error: --failed selects the failure variant of a sample payload, so it needs --event'],
    [['--file', 'test/cli/no-such-file.json'], 'error: cannot read the body file test/cli/no-such-file.json: no such file'],
    [['--event', 'openapi-tts', '--repeat', '0'], "error: option '--repeat <n>' argument '0' is invalid. Expected a whole number of at least 1."],
    [['--event', 'openapi-tts', '--stale', '--future'], "error: option '--stale' cannot be used with option '--future'"],
    [['body.json'], 'error: unexpected argument "body.json": give "-" to read the body from standard input, or --file body.json to send a file'],
  ])('invalid usage %j exits 2', async (args, message) => {
    const run = await send(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });

  it('--help documents every option', async () => {
    const run = await send(['--help']);

    expect(run.code).toBe(0);
    for (const option of ['--url', '--event', '--failed', '--file', '--secret', '--repeat', '--count', '--concurrency', '--timeout', ...DEFENCE_SWITCHES, '--json']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/\(env:\s+VMEG_WEBHOOK_SECRET\)/);
    expect(run.stdout).toContain('Exit codes:');
  });

  // Runs last: it checks the output of every run above.
  it('output never contains the secret', () => {
    expect(runs.length).toBeGreaterThan(20);
    for (const run of runs) {
      expect(run.stdout).not.toContain(TEST_SECRET);
      expect(run.stderr).not.toContain(TEST_SECRET);
    }
  });
});
