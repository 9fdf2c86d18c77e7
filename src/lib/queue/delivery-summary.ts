import type { VmegDeliveryStatus } from '../store/delivery-status';

/** A delivery as operators see it. */
export interface VmegDeliverySummary {
  id: string;
  pipelineKey: string;
  event: string;
  taskId: string | null;
  code: number;
  status: VmegDeliveryStatus;
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
  updatedAt: Date;
  processedAt: Date | null;
  /** When a pending delivery is due, or when the lease of a claimed one ends. */
  nextAttemptAt: Date | null;
}

/** A delivery with its payload and the handlers that already succeeded. */
export interface VmegDeliveryDetails extends VmegDeliverySummary {
  payload: Record<string, unknown>;
  completedHandlers: string[];
}

/** A row of `LIST_DELIVERIES` or `FIND_DELIVERY`, with PostgreSQL's column names. */
export type DeliveryRow = Record<string, unknown>;

export function toDeliverySummary(row: DeliveryRow): VmegDeliverySummary {
  return {
    id: row.id as string,
    pipelineKey: row.pipeline_key as string,
    event: row.event as string,
    taskId: row.task_id as string | null,
    code: row.code as number,
    status: row.status as VmegDeliveryStatus,
    attempts: row.attempts as number,
    lastError: row.last_error as string | null,
    receivedAt: row.received_at as Date,
    updatedAt: row.updated_at as Date,
    processedAt: row.processed_at as Date | null,
    nextAttemptAt: row.next_attempt_at as Date | null,
  };
}

/** Maps a row of `FIND_DELIVERY`. */
export function toDeliveryDetails(row: DeliveryRow): VmegDeliveryDetails {
  return { ...toDeliverySummary(row), payload: row.payload as Record<string, unknown>, completedHandlers: row.completed_handlers as string[] };
}
