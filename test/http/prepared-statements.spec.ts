import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VmegDispatchMode } from '../../src';
import { sendSigned, ttsBody } from '../support/deliveries';
import { createInboxDatabase } from '../support/inbox-fixture';
import { RecordingHandlers } from '../support/recording-handlers';
import { HTTP_ADAPTERS, startTestApp, type TestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';

const MODES: VmegDispatchMode[] = ['inline', 'queued'];

// Each app has a pool of one connection, so the statements that the test runs
// through the app's data source reach the same session as the module's.
describe.each(HTTP_ADAPTERS)('prepared statements over %s', (adapter) => {
  let database: TestDatabase;
  let testApp: TestApp | undefined;

  beforeAll(async () => {
    const created = await createInboxDatabase();
    database = created.database;
    await created.db.end();
  });

  afterEach(async () => {
    await testApp?.close();
    testApp = undefined;
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function start(dispatch: VmegDispatchMode, preparedStatements?: boolean): Promise<TestApp> {
    testApp = await startTestApp({
      adapter,
      databaseUrl: database.url,
      poolSize: 1,
      providers: [RecordingHandlers],
      vmeg: { dispatch, preparedStatements, worker: { enabled: false } },
    });
    return testApp;
  }

  function dataSourceOf(app: TestApp): DataSource {
    return app.app.get<DataSource>(getDataSourceToken());
  }

  async function preparedOnConnection(app: TestApp): Promise<string[]> {
    const rows: { name: string }[] = await dataSourceOf(app).query('SELECT name FROM pg_prepared_statements ORDER BY name');
    return rows.map((row) => row.name);
  }

  it.each(MODES)('%s: prepares the intake statement once per connection', async (dispatch) => {
    const app = await start(dispatch);

    await sendSigned(app.url, ttsBody()).expect(200);
    await sendSigned(app.url, ttsBody()).expect(200);

    // Queued mode also prepares the NOTIFY that it sends after the response,
    // on the same connection once that NOTIFY has run.
    const prepared = await preparedOnConnection(app);
    const intake = dispatch === 'inline' ? 'vmeg_insert_inline_delivery' : 'vmeg_enqueue_delivery';
    expect(prepared).toContain(intake);
    expect(prepared.filter((name) => name !== intake && name !== 'vmeg_notify_workers')).toEqual([]);
  });

  it.each(MODES)('%s: prepares nothing with preparedStatements false', async (dispatch) => {
    const app = await start(dispatch, false);

    await sendSigned(app.url, ttsBody()).expect(200);
    const duplicate = ttsBody();
    await sendSigned(app.url, duplicate).expect(200);
    await sendSigned(app.url, duplicate).expect(200);

    expect(await preparedOnConnection(app)).toEqual([]);
  });

  it.each(MODES)('%s: recovers on a new connection after DEALLOCATE ALL', async (dispatch) => {
    const app = await start(dispatch);
    await sendSigned(app.url, ttsBody()).expect(200);
    const [{ pid: before }] = await dataSourceOf(app).query('SELECT pg_backend_pid() AS pid');
    await dataSourceOf(app).query('DEALLOCATE ALL');

    const body = ttsBody();
    const response = await sendSigned(app.url, body);
    const [{ pid: after }] = await dataSourceOf(app).query('SELECT pg_backend_pid() AS pid');
    const [stored] = await dataSourceOf(app).query('SELECT status FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [body.pipelineKey]);

    expect(response.status).toBe(200);
    expect(stored?.status).toBe(dispatch === 'inline' ? 'processed' : 'pending');
    expect(after).not.toBe(before);
    const warnings = app.logger.visible().filter((line) => line.text.includes('rejected a prepared statement'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe('warn');
    expect(warnings[0].text).toContain('set the preparedStatements option to false');
  });
});
