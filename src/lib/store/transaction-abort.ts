import type { QueryRunner } from 'typeorm';

/**
 * A statement failed inside a transaction and the code that ran it caught the
 * error, which left the transaction aborted. PostgreSQL would respond to
 * its COMMIT with a rollback and no error.
 */
export class TransactionAbortedError extends Error {
  constructor() {
    super(
      'a statement failed and left the transaction aborted, so none of its writes can commit; ' +
        'to recover from a statement error inside a handler, run the statement in context.manager.transaction(...), which uses a savepoint',
    );
    this.name = 'TransactionAbortedError';
  }
}

/**
 * Watches the statements that run through `runner` and returns a check of
 * whether the transaction is aborted: it is when the last statement failed.
 * After a failure PostgreSQL rejects every statement but a rollback, so a
 * later success means a ROLLBACK TO SAVEPOINT recovered it.
 *
 * pg rejects a failed query as soon as the ErrorResponse arrives, which may
 * be before the ReadyForQuery that updates `getTransactionStatus()`, so that
 * status cannot tell right after a handler returns.
 */
export function watchForAbort(runner: QueryRunner): () => boolean {
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  let lastFailed = false;

  const watched = async (...args: unknown[]): Promise<unknown> => {
    try {
      const result = await query(...args);
      lastFailed = false;
      return result;
    } catch (error) {
      lastFailed = true;
      throw error;
    }
  };
  (runner as unknown as { query: typeof watched }).query = watched;

  return () => lastFailed;
}
