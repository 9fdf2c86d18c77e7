/** A handler ran longer than `worker.handlerTimeoutMs`; its transaction was aborted. */
export class HandlerTimeoutError extends Error {
  constructor(
    readonly handlerKey: string,
    readonly timeoutMs: number,
  ) {
    super(`handler ${handlerKey} timed out after ${timeoutMs} ms; its transaction was aborted`);
    this.name = 'HandlerTimeoutError';
  }
}

/**
 * Waits for `invocation`, or rejects with `HandlerTimeoutError` after
 * `timeoutMs` (0 waits without limit). A handler cannot be stopped from
 * outside, so after a time-out it keeps running: `onLateSettle` gets its
 * eventual error, so that a late rejection is logged instead of becoming an
 * unhandled rejection that ends the process.
 */
export async function withHandlerTimeout(
  invocation: Promise<unknown>,
  handlerKey: string,
  timeoutMs: number,
  onLateSettle: (error: unknown) => void,
): Promise<void> {
  if (timeoutMs === 0) {
    await invocation;
    return;
  }

  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new HandlerTimeoutError(handlerKey, timeoutMs));
    }, timeoutMs);
  });
  invocation.catch((error: unknown) => {
    if (timedOut) {
      onLateSettle(error);
    }
  });

  try {
    await Promise.race([invocation, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
