import type { QueryConfig } from 'pg';
import { SQLSTATE, sqlState } from './postgres-error';

/**
 * Builds the `pg` query for a statement. With `prepare`, it is the named
 * prepared statement `name`, which `pg` has PostgreSQL parse once per
 * connection. Later runs only bind and execute it, so PostgreSQL can reuse a
 * cached plan. Without `prepare`, PostgreSQL parses and plans the text on
 * every run.
 */
export function statementQuery(name: string, text: string, values: unknown[], prepare: boolean): QueryConfig {
  return prepare ? { name, text, values } : { text, values };
}

/**
 * Checks whether PostgreSQL rejected a named prepared statement because the
 * connection's server session no longer matches what `pg` cached for it.
 * The statement may not exist (26000) after DEALLOCATE ALL, or when a pooler
 * in transaction mode handed over another session. In that pooler case it
 * may also exist already (42P05). A schema change may have altered its
 * result type (0A000, "cached plan must not change result type"). `pg`
 * keeps its cache for the connection, so the connection must be discarded,
 * and the next one prepares the statement again.
 */
export function isPreparedStatementMismatch(error: unknown): boolean {
  const state = sqlState(error);
  if (state === SQLSTATE.invalidStatementName || state === SQLSTATE.duplicatePreparedStatement) {
    return true;
  }
  // The routine name stays in English whatever the server's lc_messages.
  const routine = (error as { routine?: unknown } | null)?.routine;
  const message = error instanceof Error ? error.message : '';
  return state === SQLSTATE.featureNotSupported && (routine === 'RevalidateCachedQuery' || message.includes('cached plan must not change result type'));
}
