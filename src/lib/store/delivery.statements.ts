/**
 * Every SQL statement that the module runs against `vmeg_webhook_deliveries`.
 * Lookups by `pipeline_key` use the unique index of
 * `uq_vmeg_webhook_deliveries_pipeline_key`.
 */

/** Sets `lock_timeout` for the rest of the transaction. $1: the time-out, e.g. `3000ms`. */
export const SET_LOCK_TIMEOUT = `SELECT set_config('lock_timeout', $1, true)`;

/**
 * Restores the session's `lock_timeout` once the delivery's own row is
 * locked, so that the handlers' statements wait as the app configured.
 */
export const RESET_LOCK_TIMEOUT = `SET LOCAL lock_timeout TO DEFAULT`;

/**
 * Inserts a new delivery in state `processing`, or does nothing when the key
 * is known. If another transaction holds an uncommitted row with the same key,
 * PostgreSQL waits for it (bounded by `lock_timeout`) before deciding.
 * Returns the new row's id, or no row for a known key.
 *
 * $1 pipeline_key, $2 event, $3 task_id, $4 code, $5 payload (JSON text),
 * $6 received_at.
 */
export const INSERT_DELIVERY = `
  INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, 'processing', 0, $6)
  ON CONFLICT (pipeline_key) DO NOTHING
  RETURNING id::text AS id, attempts`;

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
