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

/** The state of a known delivery, read under its row lock. */
export interface LockedDelivery {
  id: string;
  status: string;
  attempts: number;
}
