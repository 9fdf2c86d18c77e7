/**
 * The statements of the queued mode: intake, claims, per-handler completion,
 * retries, replay and purge. Claims use the partial index
 * `ix_vmeg_webhook_deliveries_claim` on `next_attempt_at`, and purge uses
 * `ix_vmeg_webhook_deliveries_purge` on `processed_at`.
 *
 * A claimed delivery is `processing` with `next_attempt_at` at the end of its
 * lease, so one condition finds both new work and claims that expired
 * because their worker died.
 */

/** Channel of the NOTIFY sent when a delivery is queued; a wake-up hint only. */
export const QUEUE_CHANNEL = 'vmeg_webhook_deliveries';

/**
 * Queues a new delivery, or does nothing for a known key. Returns the new id,
 * or no row for a duplicate.
 *
 * It sends no NOTIFY, because PostgreSQL serializes the commits of
 * transactions that notify: PreCommit_Notify (src/backend/commands/async.c)
 * takes a lock on "database 0" and holds it until after the commit, so
 * concurrent deliveries would no longer share WAL flushes. The dispatcher
 * sends NOTIFY_WORKERS after the commit instead.
 * $1 pipeline_key, $2 event, $3 task_id, $4 code, $5 payload (JSON text), $6 received_at.
 */
export const ENQUEUE_DELIVERY = `
  INSERT INTO vmeg_webhook_deliveries (pipeline_key, event, task_id, code, payload, status, attempts, received_at, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, 'pending', 0, $6, now())
  ON CONFLICT (pipeline_key) DO NOTHING
  RETURNING id::text AS id`;

/** Wakes the listening workers; sent in a transaction of its own, after deliveries were queued. */
export const NOTIFY_WORKERS = `SELECT pg_notify('${QUEUE_CHANNEL}', '')`;

/**
 * Claims up to $1 deliveries that are due, for worker $2, for a lease of $3
 * ms, and counts the attempt. Rows locked by another claim are skipped.
 */
export const CLAIM_DELIVERIES = `
  WITH due AS (
    SELECT id FROM vmeg_webhook_deliveries
    WHERE status IN ('pending', 'processing') AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  )
  UPDATE vmeg_webhook_deliveries AS delivery
  SET status = 'processing',
      locked_by = $2,
      next_attempt_at = now() + $3 * interval '1 millisecond',
      attempts = delivery.attempts + 1,
      updated_at = now()
  FROM due
  WHERE delivery.id = due.id
  RETURNING delivery.id::text AS id, delivery.pipeline_key, delivery.event, delivery.payload,
            delivery.attempts, delivery.received_at`;

/** Extends the lease of a claim that worker $2 still holds. $1 id, $3 lease in ms. */
export const EXTEND_LEASE = `
  UPDATE vmeg_webhook_deliveries
  SET next_attempt_at = now() + $3 * interval '1 millisecond'
  WHERE id = $1 AND status = 'processing' AND locked_by = $2`;

/** Returns the keys of the handlers that already succeeded for delivery $1. */
export const COMPLETED_HANDLERS = `
  SELECT handler_key FROM vmeg_webhook_handler_runs WHERE delivery_id = $1`;

/**
 * Records that handler $2 succeeded for delivery $1, inside the handler's own
 * transaction and before the handler runs. A second worker that reaches the
 * same handler waits on this row: it gets no row back if the first one
 * committed, and inserts it if the first one rolled back.
 * $3 attempt.
 */
export const START_HANDLER_RUN = `
  INSERT INTO vmeg_webhook_handler_runs (delivery_id, handler_key, attempt)
  VALUES ($1, $2, $3)
  ON CONFLICT (delivery_id, handler_key) DO NOTHING
  RETURNING handler_key`;

/** Marks delivery $1 processed if worker $2 still holds its claim. */
export const COMPLETE_DELIVERY = `
  UPDATE vmeg_webhook_deliveries
  SET status = 'processed', locked_by = NULL, next_attempt_at = NULL, last_error = NULL,
      processed_at = now(), updated_at = now()
  WHERE id = $1 AND status = 'processing' AND locked_by = $2`;

/**
 * Schedules the next attempt of delivery $1 claimed by worker $2, or moves it
 * to `dead` after $5 attempts. $3 last error, $4 delay in ms.
 */
export const FAIL_DELIVERY = `
  UPDATE vmeg_webhook_deliveries
  SET status = CASE WHEN attempts >= $5 THEN 'dead' ELSE 'pending' END,
      next_attempt_at = CASE WHEN attempts >= $5 THEN NULL ELSE now() + $4 * interval '1 millisecond' END,
      locked_by = NULL,
      last_error = $3,
      updated_at = now()
  WHERE id = $1 AND status = 'processing' AND locked_by = $2
  RETURNING status`;

/**
 * Queues delivery $1 again so that the handlers that have not succeeded run.
 * The attempt count starts over. Processed deliveries are left alone.
 */
export const REPLAY_DELIVERY = `
  WITH replayed AS (
    UPDATE vmeg_webhook_deliveries
    SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_by = NULL, updated_at = now()
    WHERE pipeline_key = $1 AND status IN ('dead', 'failed', 'pending')
    RETURNING id
  )
  SELECT id::text AS id, pg_notify('${QUEUE_CHANNEL}', '') FROM replayed`;

/** Queues every dead delivery again; returns how many. */
export const REPLAY_DEAD_DELIVERIES = `
  WITH replayed AS (
    UPDATE vmeg_webhook_deliveries
    SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
    WHERE status = 'dead'
    RETURNING 1
  )
  SELECT count(*)::int AS count, pg_notify('${QUEUE_CHANNEL}', '') FROM replayed`;

/**
 * Queues up to $1 dead deliveries again, oldest first, as REPLAY_DEAD_DELIVERIES
 * does for all of them. Batches keep each statement's row locks short and let
 * a caller report progress. Returns how many.
 */
export const REPLAY_DEAD_BATCH = `
  WITH batch AS (
    SELECT id FROM vmeg_webhook_deliveries
    WHERE status = 'dead'
    ORDER BY received_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  ), replayed AS (
    UPDATE vmeg_webhook_deliveries AS delivery
    SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
    FROM batch
    WHERE delivery.id = batch.id
    RETURNING 1
  )
  SELECT count(*)::int AS count, pg_notify('${QUEUE_CHANNEL}', '') FROM replayed`;

/** Counts deliveries in state $1. */
export const COUNT_DELIVERIES_IN_STATE = `
  SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE status = $1`;

/** Deletes up to $2 processed deliveries finished more than $1 ms ago; returns how many. */
export const PURGE_PROCESSED = `
  WITH expired AS (
    SELECT id FROM vmeg_webhook_deliveries
    WHERE status = 'processed' AND processed_at < now() - $1 * interval '1 millisecond'
    ORDER BY processed_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  DELETE FROM vmeg_webhook_deliveries AS delivery
  USING expired
  WHERE delivery.id = expired.id`;

/** Counts the processed deliveries that PURGE_PROCESSED would delete: finished more than $1 ms ago. */
export const COUNT_PURGEABLE = `
  SELECT count(*)::int AS count FROM vmeg_webhook_deliveries
  WHERE status = 'processed' AND processed_at < now() - $1 * interval '1 millisecond'`;

/** Counts deliveries that still have to run: pending, or claimed by a worker. */
export const COUNT_UNFINISHED = `
  SELECT count(*)::int AS count FROM vmeg_webhook_deliveries WHERE status IN ('pending', 'processing')`;

/** Returns one delivery with the handlers that succeeded. $1 pipeline_key. */
export const FIND_DELIVERY = `
  SELECT delivery.id::text AS id, delivery.pipeline_key, delivery.event, delivery.task_id, delivery.code, delivery.status,
         delivery.attempts, delivery.last_error, delivery.received_at, delivery.updated_at, delivery.processed_at,
         delivery.next_attempt_at, delivery.payload,
         COALESCE(array_agg(run.handler_key ORDER BY run.completed_at) FILTER (WHERE run.handler_key IS NOT NULL), '{}') AS completed_handlers
  FROM vmeg_webhook_deliveries AS delivery
  LEFT JOIN vmeg_webhook_handler_runs AS run ON run.delivery_id = delivery.id
  WHERE delivery.pipeline_key = $1
  GROUP BY delivery.id`;

/**
 * Lists deliveries newest first, at most $5. Each filter applies unless its
 * parameter is NULL: $1 status, $2 event, $3 minimum and $4 maximum age in ms.
 * The age is the time since `received_at` on the server's clock.
 */
export const FILTER_DELIVERIES = `
  SELECT id::text AS id, pipeline_key, event, task_id, code, status, attempts, last_error,
         received_at, updated_at, processed_at, next_attempt_at
  FROM vmeg_webhook_deliveries
  WHERE ($1::text IS NULL OR status = $1::text)
    AND ($2::text IS NULL OR event = $2::text)
    AND ($3::float8 IS NULL OR received_at < now() - $3::float8 * interval '1 millisecond')
    AND ($4::float8 IS NULL OR received_at >= now() - $4::float8 * interval '1 millisecond')
  ORDER BY received_at DESC, id DESC
  LIMIT $5`;

/** Lists deliveries in state $1, newest first, at most $2. */
export const LIST_DELIVERIES = `
  SELECT id::text AS id, pipeline_key, event, task_id, code, status, attempts, last_error,
         received_at, updated_at, processed_at, next_attempt_at
  FROM vmeg_webhook_deliveries
  WHERE status = $1
  ORDER BY received_at DESC, id DESC
  LIMIT $2`;

/**
 * Counts deliveries in the states an operator watches, with the age of the
 * oldest pending one in seconds. Reads the `(status, received_at)` index.
 */
export const INBOX_STATE = `
  SELECT status, count(*)::int AS count,
         COALESCE(EXTRACT(EPOCH FROM now() - min(received_at)), 0)::float8 AS oldest_age_seconds
  FROM vmeg_webhook_deliveries
  WHERE status IN ('pending', 'processing', 'failed', 'dead')
  GROUP BY status`;
