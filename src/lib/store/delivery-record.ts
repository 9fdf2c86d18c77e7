/** The columns of a delivery that come from its verified request. */
export interface DeliveryRecord {
  pipelineKey: string;
  event: string;
  taskId: string | null;
  code: number;
  /** The request body as received: valid JSON text, stored as `jsonb`. */
  payloadJson: string;
  receivedAt: Date;
}

/**
 * Returns the parameters $1 to $6 of the statements that insert a delivery:
 * pipeline_key, event, task_id, code, payload and received_at.
 */
export function deliveryParameters(record: DeliveryRecord): unknown[] {
  return [record.pipelineKey, record.event, record.taskId, record.code, record.payloadJson, record.receivedAt];
}

/** The state of a known delivery. */
export interface LockedDelivery {
  id: string;
  status: string;
  attempts: number;
}

/**
 * Result of inserting an inline delivery: the new row's id, or null for a
 * known key with the known row's state when the statement could read it.
 */
export type InlineInsert = { id: string } | { id: null; known?: LockedDelivery };

/** Maximum length of `last_error`; a longer message is cut. */
const MAX_ERROR_LENGTH = 4000;

/** Cuts an error message to the length stored in `last_error`. */
export function truncateError(message: string): string {
  return message.slice(0, MAX_ERROR_LENGTH);
}
