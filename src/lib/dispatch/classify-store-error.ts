import type { Logger } from '@nestjs/common';
import type { DeliveryRecord } from '../store/delivery-record';
import { isDataException, sqlState, SQLSTATE } from '../store/postgres-error';
import {
  DeliveryInProgressError,
  DeliveryStoreUnavailableError,
  describeError,
  UnstorablePayloadError,
} from './dispatch-errors';

/**
 * Turns a database error met while storing a delivery into the error the
 * controller maps to a status code, and logs it once.
 */
export function classifyStoreError(error: unknown, record: DeliveryRecord, logger: Logger): Error {
  if (error instanceof DeliveryInProgressError) {
    return error;
  }

  const state = sqlState(error);
  if (state === SQLSTATE.lockNotAvailable) {
    logger.warn(`Delivery ${record.pipelineKey} is held by another request past the lock time-out; responding with 409`);
    return new DeliveryInProgressError(record.pipelineKey);
  }
  // A payload nested too deep for PostgreSQL's jsonb parser fails the same
  // way on every retry, so it is the sender's error, not an outage.
  if (isDataException(error) || state === SQLSTATE.stackDepthLimitExceeded) {
    logger.warn(`Rejected delivery ${record.pipelineKey}: PostgreSQL cannot store its payload as jsonb (SQLSTATE ${state})`);
    return new UnstorablePayloadError(describeError(error));
  }
  if (state === SQLSTATE.undefinedTable) {
    logger.error('Table vmeg_webhook_deliveries is missing; run the migrations in vmegMigrations');
  } else {
    logger.error(`Could not store delivery ${record.pipelineKey}: ${describeError(error)}`);
  }
  return new DeliveryStoreUnavailableError(error);
}
