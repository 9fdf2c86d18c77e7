import { Client } from 'pg';

/** Outcome of a set of deliveries in one database, after the worker drained it. */
export interface DeliveryAudit {
  /** Keys with no row. */
  missing: string[];
  /** Keys whose row is not `processed`, with its status. */
  unprocessed: string[];
  /** Keys whose `onSpeech` or `onEvery` effect was not written exactly once. */
  notExactlyOnce: string[];
}

/**
 * Reads the rows and the `handler_effects` of `keys` in `databaseUrl`, on a
 * connection of its own, and lists every key that is not processed with
 * each handler's effect written exactly once.
 */
export async function auditDeliveries(databaseUrl: string, keys: readonly string[]): Promise<DeliveryAudit> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ pipeline_key: string; status: string }>('SELECT pipeline_key, status FROM vmeg_webhook_deliveries WHERE pipeline_key = ANY($1)', [keys]);
    const effects = await client.query<{ pipeline_key: string; speech: number; every: number }>(
      `SELECT pipeline_key,
              count(*) FILTER (WHERE handler = 'onSpeech')::int AS speech,
              count(*) FILTER (WHERE handler = 'onEvery')::int AS every
       FROM handler_effects WHERE pipeline_key = ANY($1) GROUP BY pipeline_key`,
      [keys],
    );
    const status = new Map(rows.rows.map((row) => [row.pipeline_key, row.status]));
    const counts = new Map(effects.rows.map((row) => [row.pipeline_key, row]));

    return {
      missing: keys.filter((key) => !status.has(key)),
      unprocessed: keys.filter((key) => status.has(key) && status.get(key) !== 'processed').map((key) => `${key} ${status.get(key)}`),
      notExactlyOnce: keys.filter((key) => counts.get(key)?.speech !== 1 || counts.get(key)?.every !== 1),
    };
  } finally {
    await client.end();
  }
}

/** Polls until no delivery in `databaseUrl` is pending or processing; throws after `timeoutMs`. */
export async function waitUntilDrained(databaseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: databaseUrl });
    let unfinished = -1;
    try {
      await client.connect();
      const { rows } = await client.query(`SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE status IN ('pending', 'processing')`);
      unfinished = rows[0].count;
    } catch {
      // The database may still be coming back; poll again.
    } finally {
      await client.end().catch(() => undefined);
    }
    if (unfinished === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`deliveries still pending or running ${timeoutMs} ms later (last count ${unfinished})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
