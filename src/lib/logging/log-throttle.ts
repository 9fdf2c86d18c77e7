/**
 * Limits how many lines a repeated warning writes, so that a flood of forged
 * requests cannot flood the log. Up to `limit` lines pass per window; the
 * first line of the next window reports how many were suppressed.
 */
export class LogThrottle {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Calls `write` unless the window's limit is reached; `write` gets the count suppressed before it. */
  run(write: (suppressedBefore: number) => void, nowMs: number = Date.now()): void {
    if (nowMs - this.windowStart >= this.windowMs) {
      this.windowStart = nowMs;
      this.written = 0;
    }

    if (this.written >= this.limit) {
      this.suppressed += 1;
      return;
    }

    const suppressedBefore = this.suppressed;
    this.suppressed = 0;
    this.written += 1;
    write(suppressedBefore);
  }
}
