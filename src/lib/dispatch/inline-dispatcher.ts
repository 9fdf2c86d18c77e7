import { Injectable, Logger } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { VmegHandlerRegistry } from '../handlers/vmeg-handler-registry';
import { VmegMetrics } from '../metrics/vmeg-metrics';
import type { VmegWebhookPayload } from '../payload';
import type { DeliveryRecord, InlineInsert } from '../store/delivery-record';
import { sqlState, SQLSTATE } from '../store/postgres-error';
import { TransactionAbortedError, type WatchedTransaction } from '../store/transaction-watcher';
import { rollBackQuietly, VmegDeliveryStore } from '../store/vmeg-delivery-store';
import { classifyStoreError } from './classify-store-error';
import type { DeliveryDispatcher, DispatchOutcome } from './delivery-dispatcher';
import { DeliveryInProgressError, describeError, HandlerFailedError } from './dispatch-errors';

/**
 * Stores a delivery and runs its handlers in one transaction, inside the
 * webhook request. The outcome is returned only after the commit, so a 2xx
 * answer always means that the delivery and its handlers' writes are durable.
 *
 * Errors: `DeliveryInProgressError` when another request holds the key past
 * the lock time-out, `HandlerFailedError` after a rolled-back attempt,
 * `UnstorablePayloadError` when PostgreSQL rejects the JSON, and
 * `DeliveryStoreUnavailableError` for every other database failure.
 */
@Injectable()
export class InlineDispatcher implements DeliveryDispatcher {
  private readonly logger = new Logger('VmegDispatcher');

  constructor(
    private readonly store: VmegDeliveryStore,
    private readonly registry: VmegHandlerRegistry,
    private readonly metrics: VmegMetrics,
  ) {}

  async dispatch(record: DeliveryRecord, payload: VmegWebhookPayload): Promise<DispatchOutcome> {
    let started: { runner: QueryRunner; inserted: InlineInsert };
    try {
      started = await this.store.beginInline(record);
    } catch (error) {
      throw classifyStoreError(error, record, this.logger);
    }

    const { runner, inserted } = started;
    try {
      return await this.processInTransaction(runner, inserted, record, payload);
    } catch (error) {
      await rollBackQuietly(runner);
      if (error instanceof HandlerFailedError) {
        await this.recordFailure(record, error);
        throw error;
      }
      throw classifyStoreError(error, record, this.logger);
    } finally {
      await runner.release();
    }
  }

  private async processInTransaction(
    runner: QueryRunner,
    inserted: InlineInsert,
    record: DeliveryRecord,
    payload: VmegWebhookPayload,
  ): Promise<DispatchOutcome> {
    // A new delivery costs one statement before the handlers and the COMMIT
    // after them: its row is inserted as processed and commits with their writes.
    if (inserted.id !== null) {
      const transaction = this.store.watchTransaction(runner);
      await this.runHandlers(transaction, runner, record, payload, inserted.id, 1);
      await this.commitHandlers(transaction, record);
      this.logger.debug(`Stored and processed delivery ${record.pipelineKey} (event ${record.event}, attempt 1)`);
      return 'processed';
    }

    if (inserted.known?.status === 'processed') {
      await runner.commitTransaction();
      this.logDuplicate(record);
      return 'duplicate';
    }

    return this.processKnown(runner, record, payload);
  }

  /**
   * Runs the handlers of a known delivery that is not processed yet: one whose
   * earlier attempt failed, one that a queued-mode replica stored, or one that
   * a concurrent request committed while the insert waited for it.
   */
  private async processKnown(runner: QueryRunner, record: DeliveryRecord, payload: VmegWebhookPayload): Promise<DispatchOutcome> {
    await this.store.boundLockWaits(runner);
    const known = await this.store.lock(runner, record.pipelineKey);
    if (known === undefined) {
      // The row was deleted between the two statements, so a retry will insert it.
      throw new DeliveryInProgressError(record.pipelineKey);
    }
    if (known.status === 'processed') {
      await runner.commitTransaction();
      this.logDuplicate(record);
      return 'duplicate';
    }
    if (known.status === 'processing') {
      // A queued-mode worker has claimed it and runs its handlers under a lease.
      throw new DeliveryInProgressError(record.pipelineKey);
    }

    const attempt = known.attempts + 1;
    await this.store.resetLockTimeout(runner);
    const transaction = this.store.watchTransaction(runner);
    await this.runHandlers(transaction, runner, record, payload, known.id, attempt);
    try {
      await this.store.markProcessed(runner, known.id);
    } catch (error) {
      // A statement that a handler left running failed after the handler returned.
      if (sqlState(error) === SQLSTATE.inFailedTransaction) {
        throw new HandlerFailedError('(transaction)', record.pipelineKey, new TransactionAbortedError());
      }
      throw error;
    }
    await this.commitHandlers(transaction, record);

    this.logger.debug(`Stored and processed delivery ${record.pipelineKey} (event ${record.event}, attempt ${attempt})`);
    return 'processed';
  }

  /** Commits after the handlers ran. A transaction that PostgreSQL rolled back instead counts as a failed handler. */
  private async commitHandlers(transaction: WatchedTransaction, record: DeliveryRecord): Promise<void> {
    try {
      await transaction.commit();
    } catch (error) {
      if (error instanceof TransactionAbortedError) {
        throw new HandlerFailedError('(transaction)', record.pipelineKey, error);
      }
      throw error;
    }
  }

  private logDuplicate(record: DeliveryRecord): void {
    this.logger.debug(`Duplicate of processed delivery ${record.pipelineKey} (event ${record.event}); handlers not run`);
  }

  private async runHandlers(
    transaction: WatchedTransaction,
    runner: QueryRunner,
    record: DeliveryRecord,
    payload: VmegWebhookPayload,
    deliveryId: string,
    attempt: number,
  ): Promise<void> {
    const handlers = this.registry.handlersFor(record.event);
    const context = {
      manager: runner.manager,
      attempt,
      receivedAt: record.receivedAt,
      pipelineKey: record.pipelineKey,
      deliveryId,
    };

    // Handlers run one after another: they share one transaction, and a
    // PostgreSQL connection runs one statement at a time.
    for (const handler of handlers) {
      const started = performance.now();
      try {
        await handler.invoke(payload, context);
        if (transaction.isAborted()) {
          throw new TransactionAbortedError();
        }
        this.metrics.handlerRun(handler.key, true, (performance.now() - started) / 1000);
      } catch (error) {
        this.metrics.handlerRun(handler.key, false, (performance.now() - started) / 1000);
        throw new HandlerFailedError(handler.key, record.pipelineKey, error);
      }
    }
  }

  private async recordFailure(record: DeliveryRecord, failure: HandlerFailedError): Promise<void> {
    const cause = failure.cause;
    this.logger.error(
      `Handler ${failure.handlerKey} failed for delivery ${record.pipelineKey} (event ${record.event}); ` +
        `its writes were rolled back and the response is 500 so that VMEG retries: ${describeError(cause)}`,
      cause instanceof Error ? cause.stack : undefined,
    );

    try {
      await this.store.recordFailedAttempt(record, `${failure.handlerKey}: ${describeError(cause)}`);
    } catch (error) {
      this.logger.error(`Could not record the failed attempt of delivery ${record.pipelineKey}: ${describeError(error)}`);
    }
  }
}
