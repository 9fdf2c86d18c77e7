/** SQLSTATE codes that change the module's response; see PostgreSQL's "Error Codes" appendix. */
export const SQLSTATE = {
  lockNotAvailable: '55P03',
  inFailedTransaction: '25P02',
  undefinedTable: '42P01',
  /** jsonb input nested deeper than the server's `max_stack_depth` allows. */
  stackDepthLimitExceeded: '54001',
  /** The server ended the session: pg_terminate_backend or a fast shutdown. */
  adminShutdown: '57P01',
  /** The server ended the session because another server process crashed. */
  crashShutdown: '57P02',
  /** No prepared statement of that name in the session. */
  invalidStatementName: '26000',
  duplicatePreparedStatement: '42P05',
  featureNotSupported: '0A000',
} as const;

/**
 * Returns the SQLSTATE of an error raised by `pg`, directly or wrapped in
 * TypeORM's `QueryFailedError`, if it has one.
 */
export function sqlState(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = candidate?.code ?? candidate?.driverError?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Class 22, "data exception": PostgreSQL rejected a value, such as invalid `jsonb` input. */
export function isDataException(error: unknown): boolean {
  return sqlState(error)?.startsWith('22') ?? false;
}

/**
 * Checks whether the error means that the server had already ended the
 * connection's session, by pg_terminate_backend, a shutdown or a crash, or
 * that its socket was closed. `pg` reports a closed socket without a SQLSTATE,
 * or passes on the socket's own error when a write meets the closed socket.
 */
export function isEndedSession(error: unknown): boolean {
  const state = sqlState(error);
  if (state === SQLSTATE.adminShutdown || state === SQLSTATE.crashShutdown) {
    return true;
  }
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const socketCode = candidate?.code ?? candidate?.driverError?.code;
  if (socketCode === 'ECONNRESET' || socketCode === 'EPIPE') {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /^Connection terminated|not queryable/.test(message);
}

