import type { EntityManager } from 'typeorm';

/** Second argument of every `@OnVmegEvent` handler. */
export interface VmegHandlerContext {
  /**
   * Entity manager of the handler's transaction. In queued mode each handler
   * has its own transaction, which also records that the handler succeeded:
   * writes made through it commit only if the handler returns, and a retry
   * skips a handler whose transaction committed. In inline mode all handlers
   * of a delivery share the transaction that stores the delivery, and any
   * failure rolls back every handler's writes.
   */
  manager: EntityManager;

  /**
   * 1 on the first try, then one more for each attempt that failed before:
   * a worker retry in queued mode, a VMEG retry in inline mode. A replay
   * starts the count again at 1.
   */
  attempt: number;

  /** When this server received the request being processed. */
  receivedAt: Date;

  pipelineKey: string;

  /** Primary key of the row in `vmeg_webhook_deliveries`, as a decimal string (bigint). */
  deliveryId: string;
}
