import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { describeError } from '../dispatch/dispatch-errors';
import { QUEUE_CHANNEL } from '../store/queue.statements';

interface ListeningClient {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: () => void): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
  removeAllListeners(): void;
}

/** Delay in ms before a lost LISTEN connection is opened again. */
const RECONNECT_DELAY_MS = 2000;

/**
 * Keeps one pooled connection LISTENing on the queue's channel and calls
 * `onNotify` for each NOTIFY. A notification is only a latency hint: the
 * worker's polling stays the source of truth, so a lost notification, a
 * dropped connection or a pooler that does not support LISTEN only adds up
 * to one poll interval of delay.
 */
export class QueueNotifier {
  private readonly logger = new Logger('VmegWorker');
  private release?: (error?: Error) => void;
  private reconnectTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly onNotify: () => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.releaseClient();
  }

  private async connect(): Promise<void> {
    try {
      const driver = this.dataSource.driver as unknown as { obtainMasterConnection(): Promise<[ListeningClient, (error?: Error) => void]> };
      const [client, release] = await driver.obtainMasterConnection();
      this.release = release;

      client.on('notification', () => this.onNotify());
      client.on('error', (error) => this.reconnect(error));
      client.on('end', () => this.reconnect());
      await client.query(`LISTEN ${QUEUE_CHANNEL}`);
      this.logger.debug(`Listening on ${QUEUE_CHANNEL}`);
    } catch (error) {
      this.reconnect(error);
    }
  }

  private reconnect(error?: unknown): void {
    this.releaseClient(error instanceof Error ? error : new Error('LISTEN connection ended'));
    if (this.stopped || this.reconnectTimer) {
      return;
    }

    this.logger.warn(`LISTEN connection lost (${describeError(error ?? 'connection ended')}); polling continues, reconnecting in ${RECONNECT_DELAY_MS} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) {
        void this.connect();
      }
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }

  /** Returns the connection to the pool; an error makes the pool discard it. */
  private releaseClient(error?: Error): void {
    const release = this.release;
    this.release = undefined;
    if (release) {
      try {
        release(error ?? new Error('LISTEN connection closed'));
      } catch {
        // Already released by the pool after a connection error.
      }
    }
  }
}
