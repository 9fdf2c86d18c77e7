import { Injectable, Logger } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { VmegHandlerRegistry } from '../handlers/vmeg-handler-registry';
import { VmegMetrics } from '../metrics/vmeg-metrics';
import type { VmegWebhookPayload } from '../payload';
import type { DeliveryRecord } from '../store/delivery-record';
import { sqlState, SQLSTATE } from '../store/postgres-error';
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
    let runner: QueryRunner;
    try {
      runner = await this.store.beginTransaction();
    } catch (error) {
      throw classifyStoreError(error, record, this.logger);
    }

    try {
      return await this.processInTransaction(runner, record, payload);
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

  private async processInTransaction(runner: QueryRunner, record: DeliveryRecord, payload: VmegWebhookPayload): Promise<DispatchOutcome> {
    let deliveryId = await this.store.insert(runner, record);
    let attempt = 1;

    if (deliveryId === undefined) {
      const known = await this.store.lock(runner, record.pipelineKey);
      if (known === undefined) {
        // The row was deleted between the two statements; a retry will insert it.
        throw new DeliveryInProgressError(record.pipelineKey);
      }
      if (known.status === 'processed') {
        await runner.commitTransaction();
        this.logger.debug(`Duplicate of processed delivery ${record.pipelineKey} (event ${record.event}); handlers not run`);
        return 'duplicate';
      }
      deliveryId = known.id;
      attempt = known.attempts + 1;
    }

    await this.store.resetLockTimeout(runner);
    await this.runHandlers(runner, record, payload, deliveryId, attempt);

    try {
      await this.store.markProcessed(runner, deliveryId);
    } catch (error) {
      if (sqlState(error) === SQLSTATE.inFailedTransaction) {
        throw new HandlerFailedError('(transaction)', record.pipelineKey, new Error('a handler caught a database error and left the transaction aborted'));
      }
      throw error;
    }
    await runner.commitTransaction();

    this.logger.debug(`Stored and processed delivery ${record.pipelineKey} (event ${record.event}, attempt ${attempt})`);
    return 'processed';
  }

  private async runHandlers(
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
