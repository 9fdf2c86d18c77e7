/** Another request holds the same `pipelineKey` longer than `lockTimeoutMs`. */
export class DeliveryInProgressError extends Error {
  constructor(readonly pipelineKey: string) {
    super(`delivery ${pipelineKey} is being processed by another request; retry later`);
    this.name = 'DeliveryInProgressError';
  }
}

/** A handler threw or rejected; the delivery's transaction was rolled back. */
export class HandlerFailedError extends Error {
  constructor(
    readonly handlerKey: string,
    readonly pipelineKey: string,
    override readonly cause: unknown,
  ) {
    super(`handler ${handlerKey} failed for delivery ${pipelineKey}: ${describeError(cause)}`);
    this.name = 'HandlerFailedError';
  }
}

/** PostgreSQL could not be reached or failed, so nothing was committed. */
export class DeliveryStoreUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`delivery store unavailable: ${describeError(cause)}`);
    this.name = 'DeliveryStoreUnavailableError';
  }
}

/** PostgreSQL rejected the payload as `jsonb`, for example a `\u0000` escape in a string. */
export class UnstorablePayloadError extends Error {
  constructor(readonly reason: string) {
    super(`payload cannot be stored as PostgreSQL jsonb: ${reason}`);
    this.name = 'UnstorablePayloadError';
  }
}

/** Returns an error's message, or a description of a thrown non-Error value; never throws. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  if (typeof error === 'string') {
    return error;
  }
  try {
    return `non-Error value thrown: ${JSON.stringify(error)}`;
  } catch {
    // Both conversions run the thrown value's own code, and either may throw.
    try {
      return `non-Error value thrown: ${String(error)}`;
    } catch {
      return `non-Error value thrown: a ${typeof error} that cannot be converted to text`;
    }
  }
}
