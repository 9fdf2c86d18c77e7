import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LogThrottle } from '../logging/log-throttle';
import type { VmegWebhookPayload } from '../payload';
import { CoalescedNotify } from '../queue/coalesced-notify';
import type { DeliveryRecord } from '../store/delivery-record';
import { VmegQueueStore } from '../store/vmeg-queue-store';
import { classifyStoreError } from './classify-store-error';
import type { DeliveryDispatcher, DispatchOutcome } from './delivery-dispatcher';
import { describeError } from './dispatch-errors';

/**
 * Minimum time in ms between two NOTIFYs of one app instance. Under a steady
 * load it caps them at 200 per second. Without it they cost PostgreSQL a
 * serialized commit every few deliveries. It delays the wake-up of an idle
 * worker by at most this much.
 */
const NOTIFY_MIN_INTERVAL_MS = 5;

/** Maximum time in ms that shutdown waits for a NOTIFY in flight, which is only a hint to the workers. */
const NOTIFY_SHUTDOWN_TIMEOUT_MS = 5000;

/**
 * Commits a delivery as pending for the worker and returns. One autocommit
 * INSERT stores it, so it is durable when this resolves. A concurrent copy of
 * the same key waits only for that insert.
 *
 * The NOTIFY that wakes the workers goes out after the commit and does not
 * delay the response; concurrent deliveries share one. It is only a hint:
 * when it fails, the workers find the delivery at their next poll.
 */
@Injectable()
export class QueuedDispatcher implements DeliveryDispatcher, BeforeApplicationShutdown {
  private readonly logger = new Logger('VmegDispatcher');
  private readonly notifyErrorLog = new LogThrottle(10, 60_000);
  private readonly notify: CoalescedNotify;

  constructor(private readonly queue: VmegQueueStore) {
    this.notify = new CoalescedNotify(
      () => this.queue.notifyWorkers(),
      (error) =>
        this.notifyErrorLog.run((suppressed) => {
          const more = suppressed > 0 ? ` (${suppressed} similar errors not logged)` : '';
          this.logger.warn(`Sending the NOTIFY for queued deliveries failed; workers find them at their next poll: ${describeError(error)}${more}`);
        }),
      NOTIFY_MIN_INTERVAL_MS,
    );
  }

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
    this.notify.request();
    this.logger.debug(`Queued delivery ${record.pipelineKey} (event ${record.event}) as ${id}`);
    return 'queued';
  }

  /**
   * Stops the NOTIFYs and lets the one in flight finish before TypeORM closes
   * the pool, for at most NOTIFY_SHUTDOWN_TIMEOUT_MS. Deliveries stored from
   * now on wait for the workers' next poll.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => resolve('timed-out'), NOTIFY_SHUTDOWN_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([this.notify.close(), timeout]);
      if (outcome === 'timed-out') {
        this.logger.warn(`The NOTIFY in flight did not finish within ${NOTIFY_SHUTDOWN_TIMEOUT_MS} ms of shutdown; shutting down without it`);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
