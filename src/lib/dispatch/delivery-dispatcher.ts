import type { VmegWebhookPayload } from '../payload';
import type { DeliveryRecord } from '../store/delivery-record';

/**
 * Outcome of a delivery acknowledged with 200: `queued` for the worker,
 * `processed` inline, or `duplicate` of a known key.
 */
export type DispatchOutcome = 'queued' | 'processed' | 'duplicate';

/** Injection token of the dispatcher that the `dispatch` option selects. */
export const DELIVERY_DISPATCHER = Symbol('VMEG_DELIVERY_DISPATCHER');

/**
 * Takes a verified delivery. It resolves only after the delivery is committed
 * in PostgreSQL, and rejects with the errors of `dispatch-errors.ts`.
 */
export interface DeliveryDispatcher {
  dispatch(record: DeliveryRecord, payload: VmegWebhookPayload): Promise<DispatchOutcome>;
}
