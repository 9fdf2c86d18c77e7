/**
 * States of a row in `vmeg_webhook_deliveries`.
 *
 * - `pending`: queued, waiting for a worker; `next_attempt_at` is when it is due.
 * - `processing`: claimed by the worker named in `locked_by` until
 *   `next_attempt_at`. In inline mode, a row inserted by a request whose
 *   transaction has not committed, which other sessions never see.
 * - `processed`: every handler succeeded and its writes committed. Final.
 * - `failed`: an inline attempt failed and rolled back; the next delivery of
 *   the same `pipelineKey` runs the handlers again.
 * - `dead`: the worker gave up after `maxAttempts`; a replay queues it again.
 */
export type VmegDeliveryStatus = 'pending' | 'processing' | 'processed' | 'failed' | 'dead';
