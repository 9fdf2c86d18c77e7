/** Exit code of a run whose requests were sent, but not every response had the expected status. */
export const EXIT_UNEXPECTED_STATUS = 1;

/** Exit code of a run that could not do its work: invalid usage, a missing secret, an unreachable app or database. */
export const EXIT_USAGE_OR_ENVIRONMENT = 2;

/**
 * An error that the command-line tool prints as one line, `error: <message>`,
 * before it exits with code 2. The message must never contain a secret or a
 * database password.
 */
export class CliError extends Error {
  readonly exitCode = EXIT_USAGE_OR_ENVIRONMENT;

  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Returns the error code of Node's `net` or `dns` module, from the error or from an error it wraps. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;

  // `pg` and `fetch` can wrap the socket error in `cause`. Connecting to a host
  // with several addresses, such as localhost, raises an AggregateError with
  // one error per address.
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    const candidate = current as { code?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof candidate.code === 'string') {
      return candidate.code;
    }
    current = candidate.cause ?? candidate.errors?.[0];
  }
  return undefined;
}

/** Describes why a request to the webhook endpoint at `url` got no response. */
export function describeRequestFailure(error: unknown, url: string): string {
  const code = networkErrorCode(error);

  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused at ${url}: is the app running?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found for ${url}: check the host name in --url`;
    case 'ECONNRESET':
      return `connection reset by ${url}: the app closed the connection before it responded`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${url} is unreachable: check the host in --url`;
    default:
      return `request to ${url} failed: ${describeCause(error)}`;
  }
}

/** Returns the innermost message of an error chain, which names the failure more precisely than a wrapper's. */
export function describeCause(error: unknown): string {
  let current: unknown = error;
  let message = String(error);

  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    message = current.message || current.name;
    current = current.cause;
  }
  return message;
}
