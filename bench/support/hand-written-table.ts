/** The table of the hand-written route: the module's table with its columns, constraints and indexes. */
export const CREATE_HAND_WRITTEN_TABLE = `CREATE TABLE bench_deliveries (LIKE vmeg_webhook_deliveries INCLUDING ALL)`;

/** The hand-written route's one statement, the module's queued INSERT without the NOTIFY. */
export const HAND_WRITTEN_INSERT = `
  INSERT INTO bench_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, 'pending', 0, $6, now())
  ON CONFLICT (pipeline_key) DO NOTHING`;
