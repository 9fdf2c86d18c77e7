import type { AfterQueryEvent, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { sqlState } from './postgres-error';

/**
 * Error for a transaction that can no longer commit. Either a statement failed
 * and the code that ran it caught the error or did not await it, or that code
 * ended the transaction itself. PostgreSQL responds to the COMMIT of an
 * aborted transaction with a rollback and no error.
 */
export class TransactionAbortedError extends Error {
  constructor() {
    super(
      'a statement failed and left the transaction aborted, or the transaction was ended, so none of its writes can commit; ' +
        'to recover from a statement error inside a handler, await the statement in context.manager.transaction(...), which uses a savepoint',
    );
    this.name = 'TransactionAbortedError';
  }
}

interface TransactionState {
  /** A statement failed on the server, and no ROLLBACK TO SAVEPOINT has succeeded since. */
  failed: boolean;
  /** Command tag of the COMMIT: `ROLLBACK` when PostgreSQL rolled back instead. */
  commitTag?: string;
}

/** A transaction whose statements a `TransactionWatcher` follows. */
export class WatchedTransaction {
  constructor(
    private readonly runner: QueryRunner,
    private readonly state: TransactionState,
  ) {}

  /**
   * Checks whether the transaction can no longer commit: its last failed
   * statement was not rolled back to a savepoint, or it is no longer open.
   * A statement still in flight is not seen here, but `commit` catches it.
   */
  isAborted(): boolean {
    return this.state.failed || !this.runner.isTransactionActive;
  }

  /** Commits through TypeORM; throws `TransactionAbortedError` when PostgreSQL rolled back instead. */
  async commit(): Promise<void> {
    if (this.isAborted()) {
      throw new TransactionAbortedError();
    }
    await this.runner.commitTransaction();
    if (this.state.commitTag === 'ROLLBACK') {
      throw new TransactionAbortedError();
    }
  }
}

/**
 * Follows the statements of watched transactions through TypeORM's
 * `afterQuery` event, which fires for each statement that a query runner
 * sends, with its outcome and pg's result, before the caller gets either. It
 * must be in the data source's `subscribers`.
 *
 * PostgreSQL rejects every statement of an aborted transaction but a
 * rollback, so only a ROLLBACK TO SAVEPOINT can clear a failure. pg rejects a
 * failed query on the ErrorResponse, before the ReadyForQuery that updates
 * its `getTransactionStatus()`, which therefore cannot tell in time.
 */
export class TransactionWatcher implements EntitySubscriberInterface {
  private readonly transactions = new WeakMap<QueryRunner, TransactionState>();

  watch(runner: QueryRunner): WatchedTransaction {
    const state: TransactionState = { failed: false };
    this.transactions.set(runner, state);
    return new WatchedTransaction(runner, state);
  }

  afterQuery(event: AfterQueryEvent): void {
    const state = event.queryRunner === undefined ? undefined : this.transactions.get(event.queryRunner);
    if (state === undefined) {
      return;
    }

    if (!event.success) {
      // An error without a SQLSTATE never reached the server, such as a
      // parameter that pg could not serialize, so the transaction is intact.
      if (sqlState(event.error) !== undefined) {
        state.failed = true;
      }
      return;
    }
    if (/^\s*ROLLBACK TO SAVEPOINT/i.test(event.query)) {
      state.failed = false;
    } else if (event.query === 'COMMIT') {
      state.commitTag = (event.rawResults as { command?: string } | undefined)?.command;
    }
  }
}
