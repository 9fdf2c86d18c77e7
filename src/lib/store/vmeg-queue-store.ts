import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { deliveryParameters, truncateError, type DeliveryRecord } from './delivery-record';
import * as statements from './queue.statements';
import { VmegDeliveryStore } from './vmeg-delivery-store';

/** A delivery claimed by a worker. */
export interface ClaimedDelivery {
  id: string;
  pipelineKey: string;
  event: string;
  payload: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempt: number;
  receivedAt: Date;
}

interface ClaimedRow {
  id: string;
  pipeline_key: string;
  event: string;
  payload: Record<string, unknown>;
  attempts: number;
  received_at: Date;
}


/** Runs the queued mode's statements. Errors from `pg` pass through unchanged. */
@Injectable()
export class VmegQueueStore {
  constructor(private readonly store: VmegDeliveryStore) {}

  /** Queues a delivery; returns its id, or undefined for a known key. Durable when it resolves. */
  async enqueue(record: DeliveryRecord): Promise<string | undefined> {
    // Safe to run twice: a second run finds the key and inserts nothing.
    const { rows } = await this.store.executeIdempotent<{ id: string }>('vmeg_enqueue_delivery', statements.ENQUEUE_DELIVERY, deliveryParameters(record));
    return rows[0]?.id;
  }

  /** Sends one NOTIFY on the queue's channel, in autocommit. */
  async notifyWorkers(): Promise<void> {
    // Safe to run twice: a second NOTIFY only wakes the workers again.
    await this.store.executeIdempotent('vmeg_notify_workers', statements.NOTIFY_WORKERS, []);
  }

  async claim(workerId: string, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.store.execute<ClaimedRow>(statements.CLAIM_DELIVERIES, [limit, workerId, leaseMs]);

    return rows.map((row) => ({
      id: row.id,
      pipelineKey: row.pipeline_key,
      event: row.event,
      payload: row.payload,
      attempt: row.attempts,
      receivedAt: row.received_at,
    }));
  }

  /** Returns false when the worker no longer holds the claim. */
  async extendLease(id: string, workerId: string, leaseMs: number): Promise<boolean> {
    const { affected } = await this.store.execute(statements.EXTEND_LEASE, [id, workerId, leaseMs]);
    return affected > 0;
  }

  async completedHandlers(id: string): Promise<Set<string>> {
    const { rows } = await this.store.execute<{ handler_key: string }>(statements.COMPLETED_HANDLERS, [id]);
    return new Set(rows.map((row) => row.handler_key));
  }

  /**
   * Records a handler's success in the handler's own transaction, before it
   * runs. Returns false when another worker already completed it.
   */
  async startHandlerRun(runner: QueryRunner, id: string, handlerKey: string, attempt: number): Promise<boolean> {
    const { rows } = await this.store.execute(statements.START_HANDLER_RUN, [id, handlerKey, attempt], runner);
    return rows.length > 0;
  }

  /** Returns false when the claim was lost, for example after its lease expired. */
  async complete(id: string, workerId: string): Promise<boolean> {
    const { affected } = await this.store.execute(statements.COMPLETE_DELIVERY, [id, workerId]);
    return affected > 0;
  }

  /** Schedules a retry after `delayMs`, or marks the delivery dead after `maxAttempts`. Undefined when the claim was lost. */
  async fail(id: string, workerId: string, error: string, delayMs: number, maxAttempts: number): Promise<'pending' | 'dead' | undefined> {
    const { rows } = await this.store.execute<{ status: 'pending' | 'dead' }>(statements.FAIL_DELIVERY, [
      id,
      workerId,
      truncateError(error),
      delayMs,
      maxAttempts,
    ]);
    return rows[0]?.status;
  }

  /** Deletes one batch of expired processed deliveries; returns how many. */
  async purgeBatch(retentionMs: number, batchSize: number): Promise<number> {
    const { affected } = await this.store.execute(statements.PURGE_PROCESSED, [retentionMs, batchSize]);
    return affected;
  }
}
