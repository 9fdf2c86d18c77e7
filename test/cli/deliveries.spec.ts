import { once } from 'node:events';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTranslatePayload } from '../../src/testing';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase, startQueuedApp, type QueuedApp } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { findClosedPort, parseJsonOutput, runCli, type CliRun } from '../support/run-cli';
import { startTestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startBlockedWorker } from '../support/worker-process';

interface DeliveryJson {
  id: string;
  pipelineKey: string;
  event: string;
  taskId: string | null;
  code: number;
  status: string;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
  updatedAt: string;
  processedAt: string | null;
  nextAttemptAt: string | null;
  completedHandlers?: string[];
  payload?: Record<string, unknown>;
}

/** `database "name" on host:port`, as the CLI names a database in its messages. */
function describeTarget(url: string): string {
  const parsed = new URL(url);
  return `database "${parsed.pathname.slice(1)}" on ${parsed.hostname}:${parsed.port || '5432'}`;
}

describe('vmeg-webhook deliveries', () => {
  let database: TestDatabase;
  let db: Client;
  let receiver: QueuedApp;

  // One or more deliveries in each state; see beforeAll.
  const processedBody = ttsBody();
  const translateBody = buildTranslatePayload();
  const oldBodies = [ttsBody(), ttsBody(), ttsBody()];
  const deadBodies = [ttsBody(), ttsBody(), ttsBody()];
  const failedBody = ttsBody();
  const processingBody = ttsBody();
  const pendingBody = ttsBody();
  const keyOf = (body: Record<string, unknown>) => body.pipelineKey as string;
  const deadKeys = deadBodies.map(keyOf);
  const oldKeys = oldBodies.map(keyOf);

  function deliveries(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
    return runCli(['deliveries', ...args], { env });
  }

  /** Runs a deliveries subcommand on this file's database. */
  function onDatabase(subcommand: string, args: string[] = []): Promise<CliRun> {
    return deliveries([subcommand, '--database-url', database.url, ...args]);
  }

  async function statusOf(pipelineKey: string): Promise<{ status: string; attempts: number } | undefined> {
    const { rows } = await db.query('SELECT status, attempts FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
    return rows[0];
  }

  beforeAll(async () => {
    ({ database, db } = await createInboxDatabase());

    // Processed and dead: a worker that gives up after two attempts.
    const worker = await startQueuedApp(database.url, { maxAttempts: 2 });
    try {
      for (const body of deadBodies) {
        worker.handlers.failTimes.set(keyOf(body), 100);
      }
      for (const body of [...oldBodies, ...deadBodies, processedBody, translateBody]) {
        await sendSigned(worker.url, body).expect(200);
      }
      await worker.inbox.waitUntilDrained({ timeoutMs: 30_000 });
    } finally {
      await worker.close();
    }
    await db.query(
      `UPDATE vmeg_webhook_deliveries SET received_at = now() - interval '40 days', processed_at = now() - interval '40 days'
       WHERE pipeline_key = ANY($1)`,
      [oldKeys],
    );

    // Failed: an inline app whose handler fails once.
    const inline = await startTestApp({ adapter: 'express', databaseUrl: database.url, providers: [RecordingHandlers], vmeg: { dispatch: 'inline' } });
    try {
      inline.app.get(RecordingHandlers).failTimes.set(keyOf(failedBody), 1);
      await sendSigned(inline.url, failedBody).expect(500);
    } finally {
      await inline.close();
    }

    // Processing: claimed by a worker process that is then killed. Pending:
    // queued afterwards, while no worker runs.
    receiver = await startQueuedApp(database.url, { enabled: false });
    await sendSigned(receiver.url, processingBody).expect(200);
    const child = await startBlockedWorker(database.url, keyOf(processingBody), 120_000);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await sendSigned(receiver.url, pendingBody).expect(200);
  }, 180_000);

  afterAll(async () => {
    await receiver?.close();
    await db?.end();
    await database?.drop();
  });

  it('setup has a delivery in each state', async () => {
    expect((await statusOf(keyOf(processedBody)))?.status).toBe('processed');
    expect((await statusOf(deadKeys[0]))?.status).toBe('dead');
    expect((await statusOf(keyOf(failedBody)))?.status).toBe('failed');
    expect((await statusOf(keyOf(processingBody)))?.status).toBe('processing');
    expect((await statusOf(keyOf(pendingBody)))?.status).toBe('pending');
  });

  describe('list', () => {
    it('--json lists every state', async () => {
      const run = await onDatabase('list', ['--json']);

      expect(run.code, run.stderr).toBe(0);
      const listed = parseJsonOutput<DeliveryJson[]>(run);
      expect(listed).toHaveLength(11);
      expect(new Set(listed.map((delivery) => delivery.status))).toEqual(new Set(['processed', 'dead', 'failed', 'processing', 'pending']));
      const dead = listed.find((delivery) => delivery.pipelineKey === deadKeys[0]);
      expect(dead?.attempts).toBe(2);
      expect(dead?.lastError).toContain('planned failure of onSpeech');
      expect(dead?.receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(run.stderr).toBe('');
    });

    it('prints a table', async () => {
      const run = await onDatabase('list');

      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^PIPELINE KEY +EVENT +STATUS +ATTEMPTS +RECEIVED \(UTC\) +LAST ERROR$/);
      expect(lines).toHaveLength(13);
      const deadLine = lines.find((line) => line.startsWith(deadKeys[0]));
      expect(deadLine).toMatch(/ openapi-tts +dead +2 +\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z +.*planned failure of onSpeech/);
      expect(lines.at(-1)).toBe('11 deliveries');
    });

    it('--status filters by state', async () => {
      const json = await onDatabase('list', ['--status', 'dead', '--json']);
      const table = await onDatabase('list', ['--status', 'dead']);

      expect(json.code, json.stderr).toBe(0);
      expect(parseJsonOutput<DeliveryJson[]>(json).map((delivery) => delivery.pipelineKey).sort()).toEqual([...deadKeys].sort());
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout.trimEnd().split('\n')).toHaveLength(5);
      expect(table.stdout).toContain('3 deliveries');
    });

    it('--event filters by event', async () => {
      const run = await onDatabase('list', ['--event', 'openapi-translate', '--json']);

      expect(run.code, run.stderr).toBe(0);
      expect(parseJsonOutput<DeliveryJson[]>(run).map((delivery) => delivery.pipelineKey)).toEqual([translateBody.pipelineKey]);
    });

    it('--older-than and --newer-than filter by age', async () => {
      const older = await onDatabase('list', ['--older-than', '30d', '--json']);
      const newer = await onDatabase('list', ['--newer-than', '1d', '--json']);
      const olderProcessed = await onDatabase('list', ['--older-than', '2h', '--status', 'processed', '--json']);

      expect(parseJsonOutput<DeliveryJson[]>(older).map((delivery) => delivery.pipelineKey).sort()).toEqual([...oldKeys].sort());
      expect(parseJsonOutput<DeliveryJson[]>(newer)).toHaveLength(8);
      expect(parseJsonOutput<DeliveryJson[]>(newer).map((delivery) => delivery.pipelineKey)).not.toContain(oldKeys[0]);
      expect(parseJsonOutput<DeliveryJson[]>(olderProcessed).map((delivery) => delivery.pipelineKey).sort()).toEqual([...oldKeys].sort());
    });

    it('--limit keeps the newest', async () => {
      const json = await onDatabase('list', ['--limit', '2', '--json']);
      const table = await onDatabase('list', ['--limit', '2']);

      expect(parseJsonOutput<DeliveryJson[]>(json).map((delivery) => delivery.pipelineKey)).toEqual([keyOf(pendingBody), keyOf(processingBody)]);
      expect(table.stdout.trimEnd().split('\n').at(-1)).toBe('2 deliveries (the --limit of 2; raise it to see older ones)');
    });

    it('reports when nothing matches', async () => {
      const run = await onDatabase('list', ['--status', 'dead', '--event', 'openapi-translate']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('no deliveries match\n');
    });

    it.each([
      [['--older-than', '2x'], "error: option '--older-than <age>' argument '2x' is invalid. Expected a whole number and a unit s, m, h, d or w, such as 2h or 30d."],
      [['--status', 'lost'], "error: option '--status <status>' argument 'lost' is invalid. Allowed choices are pending, processing, processed, failed, dead."],
      [['--limit', '0'], "error: option '--limit <n>' argument '0' is invalid. Expected a whole number of at least 1."],
    ])('invalid filter %j exits 2', async (args, message) => {
      const run = await onDatabase('list', args);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`${message}\n`);
    });
  });

  describe('show', () => {
    it('--json prints the fields', async () => {
      const run = await onDatabase('show', [deadKeys[0], '--json']);

      expect(run.code, run.stderr).toBe(0);
      const delivery = parseJsonOutput<DeliveryJson>(run);
      expect(delivery.pipelineKey).toBe(deadKeys[0]);
      expect(delivery.status).toBe('dead');
      expect(delivery.attempts).toBe(2);
      expect(delivery.event).toBe('openapi-tts');
      expect(delivery.completedHandlers).toEqual(['RecordingHandlers.onEvery']);
      expect(delivery.lastError).toContain('planned failure of onSpeech');
      expect(delivery).not.toHaveProperty('payload');
    });

    it('--payload --json adds the payload', async () => {
      const run = await onDatabase('show', [deadKeys[0], '--payload', '--json']);

      expect(run.code, run.stderr).toBe(0);
      expect(parseJsonOutput<DeliveryJson>(run).payload).toEqual(deadBodies[0]);
    });

    it('prints the fields for people', async () => {
      const run = await onDatabase('show', [deadKeys[0]]);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^pipelineKey +${deadKeys[0]}$`, 'm'));
      expect(run.stdout).toMatch(/^status +dead$/m);
      expect(run.stdout).toMatch(/^attempts +2$/m);
      expect(run.stdout).toMatch(/^completedHandlers +RecordingHandlers\.onEvery$/m);
      expect(run.stdout).toMatch(/^lastError +.*planned failure of onSpeech/m);
      expect(run.stdout).not.toContain('payload:');
    });

    it('--payload prints the payload', async () => {
      const run = await onDatabase('show', [keyOf(processedBody), '--payload']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^status +processed$/m);
      const payloadText = run.stdout.slice(run.stdout.indexOf('payload:\n') + 'payload:\n'.length);
      expect(JSON.parse(payloadText)).toEqual(processedBody);
    });

    it('shows a claimed delivery', async () => {
      const run = await onDatabase('show', [keyOf(processingBody), '--json']);

      const delivery = parseJsonOutput<DeliveryJson>(run);
      expect(delivery.status).toBe('processing');
      expect(delivery.attempts).toBe(1);
      expect(delivery.nextAttemptAt).not.toBeNull();
    });

    it('unknown pipelineKey exits 2', async () => {
      const run = await onDatabase('show', ['no-such-key']);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'error: delivery not found: no row of vmeg_webhook_deliveries has pipelineKey "no-such-key"; "vmeg-webhook deliveries list" shows the stored ones\n',
      );
      expect(run.stdout).toBe('');
    });
  });

  describe('replay', () => {
    it('queues a dead delivery again', async () => {
      const run = await onDatabase('replay', [deadKeys[0]]);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`replayed ${deadKeys[0]}: it is pending again, and a worker of the app runs the handlers that have not succeeded\n`);
      expect(await statusOf(deadKeys[0])).toEqual({ status: 'pending', attempts: 0 });
    });

    it('--json queues a failed delivery again', async () => {
      const run = await onDatabase('replay', [keyOf(failedBody), '--json']);

      expect(run.code, run.stderr).toBe(0);
      expect(parseJsonOutput(run)).toEqual({ pipelineKey: keyOf(failedBody), replayed: true });
      expect((await statusOf(keyOf(failedBody)))?.status).toBe('pending');
    });

    it('leaves a processed delivery alone', async () => {
      const run = await onDatabase('replay', [keyOf(processedBody)]);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `error: delivery ${keyOf(processedBody)} is processed, so it was not replayed (every handler already succeeded); replay takes dead, failed or pending deliveries\n`,
      );
      expect((await statusOf(keyOf(processedBody)))?.status).toBe('processed');
    });

    it('leaves a claimed delivery alone', async () => {
      const run = await onDatabase('replay', [keyOf(processingBody)]);

      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`error: delivery ${keyOf(processingBody)} is processing, so it was not replayed (a worker is running it now)`);
    });

    it('unknown pipelineKey exits 2', async () => {
      const run = await onDatabase('replay', ['no-such-key']);

      expect(run.code).toBe(2);
      expect(run.stderr).toContain('error: delivery not found: no row of vmeg_webhook_deliveries has pipelineKey "no-such-key"');
    });

    it.each([[[]], [['--dead', 'some-key']]])('needs a key or --dead, not %j', async (args) => {
      const run = await onDatabase('replay', args);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe('error: give either a pipelineKey or --dead, such as "vmeg-webhook deliveries replay --dead"\n');
    });

    it('--dead replays in batches with progress', async () => {
      const run = await onDatabase('replay', ['--dead', '--batch-size', '1']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('replayed 2 dead deliveries; a worker of the app runs them\n');
      expect(run.stderr).toBe('replayed 1 of 2 dead deliveries\nreplayed 2 of 2 dead deliveries\n');
      for (const key of deadKeys) {
        expect((await statusOf(key))?.status).toBe('pending');
      }
    });

    it('--dead with none dead', async () => {
      const json = await onDatabase('replay', ['--dead', '--json']);
      const text = await onDatabase('replay', ['--dead']);

      expect(parseJsonOutput(json)).toEqual({ replayed: 0 });
      expect(text.stdout).toBe('no dead deliveries to replay\n');
    });

    it('replayed deliveries run on a worker', async () => {
      const worker = await startQueuedApp(database.url);
      try {
        await worker.inbox.waitUntilDrained({ timeoutMs: 30_000 });
      } finally {
        await worker.close();
      }

      for (const key of deadKeys) {
        expect(await statusOf(key)).toEqual({ status: 'processed', attempts: 1 });
      }
      // onEvery succeeded before the delivery died, so the replay runs only onSpeech.
      const { rows } = await db.query('SELECT handler, attempt FROM handler_effects WHERE pipeline_key = $1 ORDER BY id', [deadKeys[0]]);
      expect(rows).toEqual([
        { handler: 'onEvery', attempt: 1 },
        { handler: 'onSpeech', attempt: 1 },
      ]);
    });
  });

  describe('purge', () => {
    it('needs --older-than', async () => {
      const run = await onDatabase('purge');

      expect(run.code).toBe(2);
      expect(run.stderr).toBe("error: required option '--older-than <age>' not specified\n");
    });

    it('--dry-run deletes nothing', async () => {
      const run = await onDatabase('purge', ['--older-than', '30d', '--dry-run']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('would purge 3 processed deliveries older than 30d; nothing was deleted\n');
      const { rows } = await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1)', [oldKeys]);
      expect(rows[0].count).toBe(3);
    });

    it('deletes old processed deliveries in batches', async () => {
      const run = await onDatabase('purge', ['--older-than', '30d', '--batch-size', '2', '--json']);

      expect(run.code, run.stderr).toBe(0);
      expect(parseJsonOutput(run)).toEqual({ purged: 3, olderThan: '30d' });
      expect(run.stderr).toBe('purged 2 of 3 processed deliveries\npurged 3 of 3 processed deliveries\n');
      const { rows } = await db.query('SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1)', [oldKeys]);
      expect(rows[0].count).toBe(0);
      const runs = await db.query(
        'SELECT count(*)::int AS count FROM vmeg_webhook_handler_runs AS run LEFT JOIN vmeg_webhook_deliveries AS delivery ON delivery.id = run.delivery_id WHERE delivery.id IS NULL',
      );
      expect(runs.rows[0].count).toBe(0);
      expect((await statusOf(keyOf(processedBody)))?.status).toBe('processed');
    });

    it('prints the count for people', async () => {
      const run = await onDatabase('purge', ['--older-than', '30d']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('purged 0 processed deliveries older than 30d\n');
      expect(run.stderr).toBe('');
    });
  });

  describe('database errors', () => {
    it('missing database URL exits 2', async () => {
      const run = await deliveries(['list']);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe('error: missing database URL: pass --database-url or set DATABASE_URL, such as postgres://user@127.0.0.1:5432/app\n');
    });

    it('reads DATABASE_URL', async () => {
      const run = await deliveries(['show', keyOf(processedBody), '--json'], { DATABASE_URL: database.url });

      expect(run.code, run.stderr).toBe(0);
      expect(parseJsonOutput<DeliveryJson>(run).status).toBe('processed');
    });

    it('refused connection exits 2 without the password', async () => {
      const port = await findClosedPort();
      const password = 'pw-that-must-not-be-printed';

      const run = await deliveries(['list', '--database-url', `postgres://operator:${password}@127.0.0.1:${port}/app`]);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `error: cannot connect to database "app" on 127.0.0.1:${port}: connection refused; check --database-url or DATABASE_URL and that PostgreSQL is running\n`,
      );
      expect(run.stderr).not.toContain(password);
      expect(run.stdout).toBe('');
    });

    it('missing database exits 2', async () => {
      const url = new URL(database.url);
      url.pathname = '/vmeg_test_no_such_database';

      const run = await deliveries(['list', '--database-url', url.toString()]);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`error: cannot connect to ${describeTarget(url.toString())}: database "vmeg_test_no_such_database" does not exist\n`);
    });

    it('missing table says to run the migrations', async () => {
      const empty = await createTestDatabase();
      try {
        const run = await deliveries(['list', '--database-url', empty.url]);

        expect(run.code).toBe(2);
        expect(run.stderr).toBe(
          `error: table vmeg_webhook_deliveries does not exist in ${describeTarget(empty.url)}: run the migrations in vmegMigrations (for example "npm run migration:run") and try again\n`,
        );
      } finally {
        await empty.drop();
      }
    });

    it('invalid database URL exits 2', async () => {
      const run = await deliveries(['list', '--database-url', 'not a url with secret-ish text']);

      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'error: invalid database URL: expected postgres://user:password@host:port/database (the value is not shown because it may contain a password)\n',
      );
    });
  });

  it.each([
    ['list', ['--status', '--event', '--older-than', '--newer-than', '--limit', '--database-url', '--json']],
    ['show', ['<pipelineKey>', '--payload', '--database-url', '--json']],
    ['replay', ['[pipelineKey]', '--dead', '--batch-size', '--database-url', '--json']],
    ['purge', ['--older-than', '--batch-size', '--dry-run', '--database-url', '--json']],
  ])('%s --help documents its options', async (subcommand, options) => {
    const run = await deliveries([subcommand, '--help']);

    expect(run.code).toBe(0);
    for (const option of options) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/\(env:\s+DATABASE_URL\)/);
  });
});
