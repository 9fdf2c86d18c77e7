/**
 * Every SQL statement that the module runs against `vmeg_webhook_deliveries`.
 * Lookups by `pipeline_key` use the unique index of
 * `uq_vmeg_webhook_deliveries_pipeline_key`.
 */

/** Sets `lock_timeout` for the rest of the transaction. $1: the time-out, e.g. `3000ms`. */
export const SET_LOCK_TIMEOUT = `SELECT set_config('lock_timeout', $1, true)`;

/**
 * Sets `lock_timeout` back to the session's default (from the server, the
 * database, the role or the connection's options) once the delivery's own
 * row is locked, so that the handlers' statements wait as the app configured.
 */
export const RESET_LOCK_TIMEOUT = `SET LOCAL lock_timeout TO DEFAULT`;

/**
 * Inserts a new delivery of an inline transaction as `processed`, or reads
 * the known row with the same key, in one round trip. The row is visible to
 * other sessions only once the transaction commits, which happens only after
 * its handlers succeeded, so no other session reads it in any other state.
 *
 * If another transaction holds an uncommitted row with the same key, the
 * insert waits for it, bounded by `lock_timeout` = $7 (e.g. `3000ms`). The
 * `bound` CTE sets it for the transaction before the insert reads its row,
 * and the final SELECT, which reads the insert's result, sets it back to the
 * session's default after the insert (a NULL value in `set_config` acts as
 * `SET LOCAL ... TO DEFAULT`), as RESET_LOCK_TIMEOUT does.
 *
 * Returns one row. `id` is the new row's id, or NULL for a known key; then
 * `known_id`, `known_status` and `known_attempts` describe the known row as of
 * the start of the statement, or are NULL when the row that the insert waited
 * for was committed after that.
 *
 * $1 pipeline_key, $2 event, $3 task_id, $4 code, $5 payload (JSON text),
 * $6 received_at, $7 lock_timeout.
 */
export const INSERT_INLINE_DELIVERY = `
  WITH bound AS (
    SELECT set_config('lock_timeout', $7, true) AS lock_timeout
  ),
  inserted AS (
    INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at, processed_at)
    SELECT $1::varchar, $2::varchar, $3::varchar, $4::integer, $5::jsonb, 'processed', 1, $6::timestamptz, now()
    FROM bound
    ON CONFLICT (pipeline_key) DO NOTHING
    RETURNING id
  )
  SELECT inserted.id::text AS id,
         known.id::text AS known_id,
         known.status AS known_status,
         known.attempts AS known_attempts,
         set_config('lock_timeout', NULL, true) AS lock_timeout
  FROM bound
  LEFT JOIN inserted ON true
  LEFT JOIN vmeg_webhook_deliveries AS known ON inserted.id IS NULL AND known.pipeline_key = $1`;

/**
 * Locks a known delivery for this transaction, waiting at most `lock_timeout`
 * for a request that is processing it. $1 pipeline_key.
 */
export const LOCK_DELIVERY = `
  SELECT id::text AS id, status, attempts
  FROM vmeg_webhook_deliveries
  WHERE pipeline_key = $1
  FOR UPDATE`;

/** Marks a delivery processed after its handlers succeeded. $1 id. */
export const MARK_PROCESSED = `
  UPDATE vmeg_webhook_deliveries
  SET status = 'processed', attempts = attempts + 1, last_error = NULL, processed_at = now(), updated_at = now()
  WHERE id = $1`;

/**
 * Records a failed attempt after its transaction rolled back. Inserts the
 * delivery when the rollback removed it; never touches a processed one.
 *
 * $1 pipeline_key, $2 event, $3 task_id, $4 code, $5 payload (JSON text),
 * $6 received_at, $7 last_error.
 */
export const RECORD_FAILED_ATTEMPT = `
  INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at, last_error)
  VALUES ($1, $2, $3, $4, $5::jsonb, 'failed', 1, $6, $7)
  ON CONFLICT (pipeline_key) DO UPDATE
  SET status = 'failed',
      attempts = vmeg_webhook_deliveries.attempts + 1,
      last_error = EXCLUDED.last_error,
      updated_at = now()
  WHERE vmeg_webhook_deliveries.status <> 'processed'`;

/**
 * Ends the server session with backend PID $1, rolling back its transaction
 * and cancelling a statement it runs. The pool's own role may end its own
 * sessions without extra privileges.
 */
export const TERMINATE_BACKEND = `SELECT pg_terminate_backend($1) AS terminated`;

/** Returns the table's name when it exists in the connection's search path, else NULL. */
export const FIND_DELIVERY_TABLE = `SELECT to_regclass('vmeg_webhook_deliveries')::text AS name`;
