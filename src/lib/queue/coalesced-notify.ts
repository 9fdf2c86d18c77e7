import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Sends NOTIFYs one at a time and folds the requests made meanwhile into one
 * more, so that a burst of deliveries costs a few NOTIFY statements, not one
 * each. Every request is followed by a NOTIFY sent after it was made, so a
 * worker woken by it finds the deliveries committed before the request.
 *
 * Two sends start at least `minIntervalMs` apart. Under a steady load a send
 * is due at almost every moment, so the spacing bounds how many PostgreSQL
 * transactions the NOTIFYs cost. The first request after a quiet spell is
 * sent at once.
 */
export class CoalescedNotify {
  private sending?: Promise<void>;
  private requested = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Ends the wait for a request's turn at `close()`. */
  private readonly closing = new AbortController();

  constructor(
    private readonly send: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly minIntervalMs = 0,
  ) {}

  /** Requests a NOTIFY and returns at once. Errors go to `onError`. Ignored after `close()`. */
  request(): void {
    if (this.closed) {
      return;
    }
    this.requested = true;
    if (this.sending === undefined) {
      this.sending = this.sendWhileRequested();
    }
  }

  /** Resolves when no NOTIFY is being sent or waiting for its turn. */
  async idle(): Promise<void> {
    await this.sending;
  }

  /**
   * Stops sending: requests made from now on, and one waiting for its turn,
   * get no NOTIFY. Resolves when the NOTIFY in flight, if any, has finished.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.sending;
  }

  private async sendWhileRequested(): Promise<void> {
    try {
      while (this.requested && !this.closed) {
        const waitMs = this.lastSentAt + this.minIntervalMs - performance.now();
        if (waitMs > 0) {
          // Node's timers count whole milliseconds and drop the fraction.
          await sleep(Math.ceil(waitMs), undefined, { signal: this.closing.signal }).catch(() => undefined);
          if (this.closed) {
            break;
          }
        }

        this.requested = false;
        this.lastSentAt = performance.now();
        try {
          await this.send();
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      // Runs in the same tick as the last check of `requested`, so no request falls between the two.
      this.sending = undefined;
    }
  }
}
