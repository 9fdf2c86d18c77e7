import { Injectable, Logger } from '@nestjs/common';
import type { VmegWebhookPayload } from '../payload';
import type { DeliveryRecord } from '../store/delivery-record';
import { VmegQueueStore } from '../store/vmeg-queue-store';
import { classifyStoreError } from './classify-store-error';
import type { DeliveryDispatcher, DispatchOutcome } from './delivery-dispatcher';

/**
 * Commits a delivery as pending for the worker and returns. One autocommit
 * statement inserts it and sends the NOTIFY, so it is durable when this
 * resolves. A concurrent copy of the same key waits only for that insert.
 */
@Injectable()
export class QueuedDispatcher implements DeliveryDispatcher {
  private readonly logger = new Logger('VmegDispatcher');

  constructor(private readonly queue: VmegQueueStore) {}

  async dispatch(record: DeliveryRecord, _payload: VmegWebhookPayload): Promise<DispatchOutcome> {
    let id: string | undefined;
    try {
      id = await this.queue.enqueue(record);
    } catch (error) {
      throw classifyStoreError(error, record, this.logger);
    }

    if (id === undefined) {
      this.logger.debug(`Duplicate of stored delivery ${record.pipelineKey} (event ${record.event})`);
      return 'duplicate';
    }
    this.logger.debug(`Queued delivery ${record.pipelineKey} (event ${record.event}) as ${id}`);
    return 'queued';
  }
}
