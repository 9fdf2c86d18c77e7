import type { EntityManager } from 'typeorm';

/** Second argument of every `@OnVmegEvent` handler. */
export interface VmegHandlerContext {
  /**
   * Entity manager of the transaction that records the delivery. Writes made
   * through it commit with the delivery's record, or roll back when any
   * handler of the delivery fails.
   */
  manager: EntityManager;

  /** 1 on the first try, then one more for each delivery of this `pipelineKey` that failed before. */
  attempt: number;

  /** When this server received the request being processed. */
  receivedAt: Date;

  pipelineKey: string;

  /** Primary key of the row in `vmeg_webhook_deliveries`, as a decimal string (bigint). */
  deliveryId: string;
}
