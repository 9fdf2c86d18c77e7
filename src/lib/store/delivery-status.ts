/**
 * States of a row in `vmeg_webhook_deliveries`.
 *
 * - `processing`: inserted by a request whose transaction has not committed
 *   yet; other sessions never see a row in this state.
 * - `processed`: every handler succeeded and its writes committed. Final.
 * - `failed`: the last attempt failed and rolled back; the next delivery of
 *   the same `pipelineKey` runs the handlers again.
 */
export type VmegDeliveryStatus = 'processing' | 'processed' | 'failed';
