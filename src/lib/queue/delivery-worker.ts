import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { describeError } from '../dispatch/dispatch-errors';
import { VmegHandlerRegistry, type RegisteredVmegHandler } from '../handlers/vmeg-handler-registry';
import { LogThrottle } from '../logging/log-throttle';
import { VmegMetrics } from '../metrics/vmeg-metrics';
import type { ResolvedVmegOptions } from '../module/vmeg-module-options';
import type { VmegWebhookPayload } from '../payload';
import { sqlState, SQLSTATE } from '../store/postgres-error';
import { rollBackQuietly, VmegDeliveryStore } from '../store/vmeg-delivery-store';
import { VmegQueueStore, type ClaimedDelivery } from '../store/vmeg-queue-store';
import { VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import { HandlerTimeoutError, withHandlerTimeout } from './handler-timeout';
import { QueueNotifier } from './queue-notifier';
import { retryDelayMs } from './retry-delay';
import { VmegInbox } from './vmeg-inbox.service';

/** Outcome of one handler of a claimed delivery. */
type HandlerOutcome = 'succeeded' | 'skipped' | 'busy' | { error: unknown };

/**
 * Processes queued deliveries inside the app: claims due rows with
 * `FOR UPDATE SKIP LOCKED`, runs each handler that has not succeeded yet in a
 * transaction of its own, and records the outcome. Started at application
 * bootstrap and stopped before shutdown.
 *
 * Exactly once per handler: a handler's transaction first inserts its row in
 * `vmeg_webhook_handler_runs`. A second worker reaching the same handler,
 * for example after a lease expired, waits on that row and skips the handler
 * if the first one committed.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  /** Names this process in `locked_by`, so that an operator can tell which instance holds a claim. */
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  private readonly logger = new Logger('VmegWorker');
  private readonly errorLog = new LogThrottle(10, 60_000);
  private readonly active = new Map<string, Promise<void>>();
  private notifier?: QueueNotifier;
  private loop?: Promise<void>;
  private purgeTimer?: NodeJS.Timeout;
  private stopping = false;
  private wake?: () => void;

  constructor(
    @Inject(VMEG_RESOLVED_OPTIONS) private readonly options: ResolvedVmegOptions,
    private readonly store: VmegDeliveryStore,
    private readonly queue: VmegQueueStore,
    private readonly registry: VmegHandlerRegistry,
    private readonly inbox: VmegInbox,
    private readonly metrics: VmegMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.worker.enabled) {
      return;
    }

    this.stopping = false;
    if (this.options.worker.listen) {
      this.notifier = new QueueNotifier(this.store.dataSource, () => this.wakeUp());
      await this.notifier.start();
    }
    this.loop = this.run();
    this.schedulePurge();
    this.logger.log(`Worker ${this.workerId} started (concurrency ${this.options.worker.concurrency})`);
  }

  /** Stops claiming, then waits up to `shutdownTimeoutMs` for running deliveries. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.loop === undefined) {
      return;
    }

    this.stopping = true;
    clearInterval(this.purgeTimer);
    this.wakeUp();
    await this.loop;
    this.loop = undefined;
    await this.notifier?.stop();
    this.notifier = undefined;

    const running = [...this.active.values()];
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.options.worker.shutdownTimeoutMs).unref());
    const result = await Promise.race([Promise.all(running).then(() => 'done' as const), timeout]);
    if (result === 'timeout') {
      this.logger.warn(
        `${this.active.size} delivery(ies) still running at shutdown; their transactions roll back when the connections close, ` +
          `and another worker takes them over when their lease of ${this.options.worker.leaseMs} ms expires`,
      );
    }
    this.logger.log(`Worker ${this.workerId} stopped`);
  }

  private async run(): Promise<void> {
    const { concurrency, batchSize, pollIntervalMs, leaseMs } = this.options.worker;

    while (!this.stopping) {
      const free = concurrency - this.active.size;
      const claimLimit = Math.min(free, batchSize);
      let claimed: ClaimedDelivery[] = [];

      if (claimLimit > 0) {
        try {
          claimed = await this.queue.claim(this.workerId, claimLimit, leaseMs);
        } catch (error) {
          this.logThrottled(`Claiming deliveries failed; retrying in ${pollIntervalMs} ms: ${describeError(error)}`);
        }
      }

      for (const delivery of claimed) {
        const processing = this.process(delivery).finally(() => {
          this.active.delete(delivery.id);
          this.wakeUp();
        });
        this.active.set(delivery.id, processing);
      }

      // A full batch means more may be due: claim again at once.
      if (claimLimit > 0 && claimed.length === claimLimit) {
        continue;
      }
      await this.sleep(pollIntervalMs);
    }
  }

  private async process(delivery: ClaimedDelivery): Promise<void> {
    const { leaseMs } = this.options.worker;
    const heartbeat = setInterval(() => {
      this.queue.extendLease(delivery.id, this.workerId, leaseMs).catch((error) => {
        this.logThrottled(`Extending the lease of delivery ${delivery.pipelineKey} failed: ${describeError(error)}`);
      });
    }, Math.floor(leaseMs / 3));

    try {
      const handlers = this.registry.handlersFor(delivery.event);
      const completed = await this.queue.completedHandlers(delivery.id);
      const failures: { handler: RegisteredVmegHandler; error: unknown }[] = [];
      let busy = false;

      for (const handler of handlers.filter((candidate) => !completed.has(candidate.key))) {
        const outcome = await this.runHandler(delivery, handler);
        if (outcome === 'busy') {
          busy = true;
        } else if (typeof outcome === 'object') {
          failures.push({ handler, error: outcome.error });
        }
      }

      if (busy) {
        // Another worker is running a handler of this delivery; this claim
        // expires and the delivery is picked up again after the lease.
        this.logger.warn(`Delivery ${delivery.pipelineKey} has a handler running in another worker; trying again after the lease`);
        return;
      }
      if (failures.length === 0) {
        await this.complete(delivery);
        return;
      }
      await this.fail(delivery, failures);
    } catch (error) {
      this.logThrottled(`Processing delivery ${delivery.pipelineKey} failed; it is retried when its lease expires: ${describeError(error)}`);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async runHandler(delivery: ClaimedDelivery, handler: RegisteredVmegHandler): Promise<HandlerOutcome> {
    const runner = await this.store.beginTransaction();
    try {
      let first: boolean;
      try {
        first = await this.queue.startHandlerRun(runner, delivery.id, handler.key, delivery.attempt);
      } catch (error) {
        if (sqlState(error) === SQLSTATE.lockNotAvailable) {
          await rollBackQuietly(runner);
          return 'busy';
        }
        throw error;
      }
      if (!first) {
        await runner.commitTransaction();
        return 'skipped';
      }

      await this.store.resetLockTimeout(runner);
      const transaction = this.store.watchTransaction(runner);
      const started = performance.now();
      try {
        const invocation = handler.invoke(delivery.payload as unknown as VmegWebhookPayload, {
          manager: runner.manager,
          attempt: delivery.attempt,
          receivedAt: delivery.receivedAt,
          pipelineKey: delivery.pipelineKey,
          deliveryId: delivery.id,
        });
        await withHandlerTimeout(invocation, handler.key, this.options.worker.handlerTimeoutMs, (error) => {
          this.logger.warn(`Handler ${handler.key} failed after its time-out for delivery ${delivery.pipelineKey}: ${describeError(error)}`);
        });
        await transaction.commit();
      } catch (error) {
        if (error instanceof HandlerTimeoutError) {
          await this.store.abortTransaction(runner);
        } else {
          await rollBackQuietly(runner);
        }
        this.metrics.handlerRun(handler.key, false, (performance.now() - started) / 1000);
        return { error };
      }
      this.metrics.handlerRun(handler.key, true, (performance.now() - started) / 1000);
      return 'succeeded';
    } finally {
      await runner.release();
    }
  }

  private async complete(delivery: ClaimedDelivery): Promise<void> {
    const completed = await this.queue.complete(delivery.id, this.workerId);
    if (completed) {
      this.metrics.delivery(delivery.event, 'processed');
      this.logger.debug(`Processed delivery ${delivery.pipelineKey} (event ${delivery.event}, attempt ${delivery.attempt})`);
    } else {
      this.logger.warn(`Delivery ${delivery.pipelineKey} was taken over by another worker after its lease expired; leaving it to that worker`);
    }
  }

  private async fail(delivery: ClaimedDelivery, failures: { handler: RegisteredVmegHandler; error: unknown }[]): Promise<void> {
    const { maxAttempts, retryBaseDelayMs, retryMaxDelayMs } = this.options.worker;
    const lastError = failures.map(({ handler, error }) => `${handler.key}: ${describeError(error)}`).join('\n');
    const delayMs = retryDelayMs(delivery.attempt, retryBaseDelayMs, retryMaxDelayMs);

    for (const { handler, error } of failures) {
      this.logger.error(
        `Handler ${handler.key} failed for delivery ${delivery.pipelineKey} (event ${delivery.event}, attempt ${delivery.attempt} of ${maxAttempts}): ${describeError(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }

    const status = await this.queue.fail(delivery.id, this.workerId, lastError, delayMs, maxAttempts);
    if (status !== undefined) {
      this.metrics.delivery(delivery.event, status === 'dead' ? 'dead' : 'failed');
    }
    if (status === 'dead') {
      this.logger.error(`Delivery ${delivery.pipelineKey} is dead after ${delivery.attempt} attempts; replay it once the handler is fixed`);
    } else if (status === 'pending') {
      this.logger.warn(`Delivery ${delivery.pipelineKey} will be retried in ${delayMs} ms (attempt ${delivery.attempt + 1} of ${maxAttempts})`);
    }
  }

  private schedulePurge(): void {
    const { retentionDays, purgeIntervalMs } = this.options.worker;
    if (retentionDays === 0) {
      return;
    }

    this.purgeTimer = setInterval(() => {
      this.inbox.purge().catch((error) => this.logThrottled(`Purging processed deliveries failed: ${describeError(error)}`));
    }, purgeIntervalMs);
    this.purgeTimer.unref();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeUp(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      if (this.stopping) {
        this.wakeUp();
      }
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }

  private logThrottled(message: string): void {
    this.errorLog.run((suppressed) => {
      this.logger.error(suppressed > 0 ? `${message} (${suppressed} similar errors not logged)` : message);
    });
  }
}
