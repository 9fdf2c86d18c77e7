import {
  BadRequestException,
  ConflictException,
  HttpException,
  InternalServerErrorException,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  DeliveryInProgressError,
  DeliveryStoreUnavailableError,
  HandlerFailedError,
  UnstorablePayloadError,
} from '../dispatch/dispatch-errors';
import type { DeliveryOutcomeLabel } from '../metrics/delivery-outcome';
import { InvalidEnvelopeError } from './parse-vmeg-envelope';

/**
 * Maps a failure to the response VMEG gets. A 4xx means that the request is
 * invalid or must wait. A 5xx means that nothing was committed, so VMEG
 * retries. Handler errors and database messages stay in the log.
 */
export function toHttpException(error: unknown): HttpException {
  if (error instanceof HttpException) {
    return error;
  }
  if (error instanceof InvalidEnvelopeError || error instanceof UnstorablePayloadError) {
    return new BadRequestException(error.message);
  }
  if (error instanceof DeliveryInProgressError) {
    return new ConflictException(error.message);
  }
  if (error instanceof HandlerFailedError) {
    return new InternalServerErrorException(
      `handler ${error.handlerKey} failed; the delivery was not acknowledged and its handlers run again on the next retry`,
    );
  }
  if (error instanceof DeliveryStoreUnavailableError) {
    return new ServiceUnavailableException('the delivery could not be stored in PostgreSQL; retry later');
  }
  return new InternalServerErrorException('the delivery could not be processed');
}

/** Returns the metrics outcome, and the reason of a rejection, for a failed request. */
export function outcomeOfFailure(error: unknown): { outcome: DeliveryOutcomeLabel; reason?: string } {
  if (error instanceof InvalidEnvelopeError) {
    return { outcome: 'rejected', reason: 'invalid_body' };
  }
  if (error instanceof UnstorablePayloadError) {
    return { outcome: 'rejected', reason: 'unstorable_payload' };
  }
  if (error instanceof DeliveryInProgressError) {
    return { outcome: 'in_progress' };
  }
  if (error instanceof HandlerFailedError) {
    return { outcome: 'failed' };
  }
  return { outcome: 'unavailable' };
}
