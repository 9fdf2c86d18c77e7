/**
 * Sends NOTIFYs one at a time and folds the requests made meanwhile into one
 * more, so that a burst of deliveries costs a few NOTIFY statements, not one
 * each. Every request is followed by a NOTIFY sent after it was made, so a
 * worker woken by it finds the deliveries committed before the request.
 */
export class CoalescedNotify {
  private sending?: Promise<void>;
  private requested = false;

  constructor(
    private readonly send: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Asks for a NOTIFY; returns at once. Errors go to `onError`. */
  request(): void {
    this.requested = true;
    if (this.sending === undefined) {
      this.sending = this.sendWhileRequested();
    }
  }

  /** Resolves when no NOTIFY is being sent. */
  async idle(): Promise<void> {
    await this.sending;
  }

  private async sendWhileRequested(): Promise<void> {
    try {
      while (this.requested) {
        this.requested = false;
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
