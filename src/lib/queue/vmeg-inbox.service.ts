import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedVmegOptions } from '../module/vmeg-module-options';
import type { VmegDeliveryStatus } from '../store/delivery-status';
import * as statements from '../store/queue.statements';
import { VmegDeliveryStore } from '../store/vmeg-delivery-store';
import { VmegQueueStore } from '../store/vmeg-queue-store';
import { VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import { toDeliveryDetails, toDeliverySummary, type DeliveryRow, type VmegDeliveryDetails, type VmegDeliverySummary } from './delivery-summary';

export type { VmegDeliveryDetails, VmegDeliverySummary } from './delivery-summary';

/** Raised by `waitUntilDrained` when deliveries are still pending or running at its deadline. */
export class InboxDrainTimeoutError extends Error {
  constructor(
    readonly unfinished: number,
    timeoutMs: number,
  ) {
    super(`${unfinished} delivery(ies) still pending or running after ${timeoutMs} ms`);
    this.name = 'InboxDrainTimeoutError';
  }
}

/** Rows deleted by one purge statement; small enough to hold row locks only briefly. */
const PURGE_BATCH_SIZE = 500;

/** Reads and steers the delivery inbox: lookups, replay, drain and purge. */
@Injectable()
export class VmegInbox {
  private readonly logger = new Logger('VmegInbox');

  constructor(
    @Inject(VMEG_RESOLVED_OPTIONS) private readonly options: ResolvedVmegOptions,
    private readonly store: VmegDeliveryStore,
    private readonly queue: VmegQueueStore,
  ) {}

  async find(pipelineKey: string): Promise<VmegDeliveryDetails | undefined> {
    const { rows } = await this.store.execute<DeliveryRow>(statements.FIND_DELIVERY, [pipelineKey]);
    const row = rows[0];
    if (row === undefined) {
      return undefined;
    }
    return toDeliveryDetails(row);
  }

  /** Lists deliveries in one state, newest first. */
  async list(status: VmegDeliveryStatus, limit = 100): Promise<VmegDeliverySummary[]> {
    const { rows } = await this.store.execute<DeliveryRow>(statements.LIST_DELIVERIES, [status, limit]);
    return rows.map(toDeliverySummary);
  }

  /**
   * Queues a dead, failed or pending delivery again, due now, with its attempt
   * count reset. Handlers that already succeeded do not run again. Returns
   * false when the key is unknown or the delivery is processed or running.
   */
  async replay(pipelineKey: string): Promise<boolean> {
    const { rows } = await this.store.execute(statements.REPLAY_DELIVERY, [pipelineKey]);
    if (rows.length > 0) {
      this.logger.log(`Replaying delivery ${pipelineKey}`);
    }
    return rows.length > 0;
  }

  /** Queues every dead delivery again; returns how many. */
  async replayDead(): Promise<number> {
    const { rows } = await this.store.execute<{ count: number }>(statements.REPLAY_DEAD_DELIVERIES, []);
    const count = rows[0]?.count ?? 0;
    this.logger.log(`Replaying ${count} dead delivery(ies)`);
    return count;
  }

  /**
   * Resolves when no delivery is pending or running, polling every `pollMs`.
   * A delivery waiting for a retry counts as pending. Rejects with
   * `InboxDrainTimeoutError` after `timeoutMs`.
   */
  async waitUntilDrained(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const pollMs = options.pollMs ?? 50;
    const deadline = Date.now() + timeoutMs;

    for (;;) {
      const { rows } = await this.store.execute<{ count: number }>(statements.COUNT_UNFINISHED, []);
      const unfinished = rows[0]?.count ?? 0;
      if (unfinished === 0) {
        return;
      }
      if (Date.now() >= deadline) {
        throw new InboxDrainTimeoutError(unfinished, timeoutMs);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * Deletes processed deliveries older than the `retentionDays` option, in
   * batches of 500 rows so that no statement locks many rows for long.
   * Returns how many it deleted. Pending, failed and dead deliveries stay,
   * and `retentionDays: 0` keeps everything, because 0 turns purge off.
   */
  async purge(): Promise<number> {
    if (this.options.worker.retentionDays === 0) {
      this.logger.debug('Purge is off (worker.retentionDays is 0); nothing deleted');
      return 0;
    }

    const retentionMs = this.options.worker.retentionDays * 86_400_000;
    let total = 0;

    for (;;) {
      const deleted = await this.queue.purgeBatch(retentionMs, PURGE_BATCH_SIZE);
      total += deleted;
      if (deleted < PURGE_BATCH_SIZE) {
        break;
      }
    }

    this.logger.debug(`Purged ${total} processed delivery(ies) older than ${this.options.worker.retentionDays} days`);
    return total;
  }
}
