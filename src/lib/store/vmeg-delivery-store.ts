import type { Pool as PostgresPool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { ResolvedVmegOptions } from '../module/vmeg-module-options';
import { describeError } from '../dispatch/dispatch-errors';
import { LogThrottle } from '../logging/log-throttle';
import { DELIVERY_TABLE, VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import { deliveryParameters, truncateError, type DeliveryRecord, type InlineInsert, type LockedDelivery } from './delivery-record';
import * as statements from './delivery.statements';
import { isEndedSession } from './postgres-error';
import { isPreparedStatementMismatch, statementQuery } from './prepared-statement';
import { TransactionWatcher, type WatchedTransaction } from './transaction-watcher';


/**
 * Runs the delivery statements on the app's TypeORM data source. Methods that
 * take a `QueryRunner` run inside the caller's transaction; errors from `pg`
 * and TypeORM pass through unchanged for the caller to classify.
 */
@Injectable()
export class VmegDeliveryStore implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('VmegDeliveryStore');
  private readonly mismatchLog = new LogThrottle(10, 60_000);
  private readonly transactionWatcher = new TransactionWatcher();
  private resolvedDataSource?: DataSource;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(VMEG_RESOLVED_OPTIONS) private readonly options: ResolvedVmegOptions,
  ) {}

  onModuleInit(): void {
    const token = getDataSourceToken(this.options.dataSourceName);
    try {
      this.resolvedDataSource = this.moduleRef.get<DataSource>(token, { strict: false });
    } catch {
      const name = this.options.dataSourceName ?? 'default';
      throw new Error(
        `VmegModule found no TypeORM data source "${name}"; import TypeOrmModule.forRoot(...) ` +
          'with vmegEntities and vmegMigrations, or set the dataSourceName option to the name of that connection',
      );
    }
  }

  /** The app's TypeORM data source that contains the table, set at module initialisation. */
  get dataSource(): DataSource {
    if (this.resolvedDataSource === undefined) {
      throw new Error('VmegDeliveryStore is used before module initialisation');
    }
    return this.resolvedDataSource;
  }

  /**
   * Runs one statement, on `runner` or on a pooled connection in autocommit,
   * and returns its rows and the count of rows it changed.
   */
  async execute<TRow>(sql: string, parameters: unknown[], runner?: QueryRunner): Promise<{ rows: TRow[]; affected: number }> {
    const activeRunner = runner ?? this.dataSource.createQueryRunner();
    try {
      const result = await activeRunner.query(sql, parameters, true);
      return { rows: result.records as TRow[], affected: result.affected ?? 0 };
    } finally {
      if (runner === undefined) {
        await activeRunner.release();
      }
    }
  }

  /**
   * Runs one autocommit statement like `execute`, as the prepared statement
   * `name` unless the `preparedStatements` option is off. Runs it again on
   * another pooled connection when the session of the first had ended (see
   * `beginTransaction`) or did not match its prepared statements. Only for
   * statements that are safe to run twice, because the server may have run
   * it before the session ended.
   */
  async executeIdempotent<TRow>(name: string, sql: string, parameters: unknown[]): Promise<{ rows: TRow[]; affected: number }> {
    // The intake statement runs once per delivery, so it goes to the pg pool
    // directly: a TypeORM QueryRunner adds an object, a logger call and an
    // event broadcast per statement on the hot path.
    const pool = this.pool();
    const query = statementQuery(name, sql, parameters, this.options.preparedStatements);
    const maxTries = this.poolSize() + 1;
    for (let tries = 1; ; tries++) {
      const client = await pool.connect();
      // pg's pool listens for errors only on idle clients. A server that ends
      // the session while this one is checked out makes the client emit
      // 'error', which would be an uncaught exception without this listener.
      // The failure still reaches the caller through the query's rejection.
      const ignoreError = (): void => undefined;
      client.on('error', ignoreError);
      try {
        const result = await client.query(query);
        client.removeListener('error', ignoreError);
        client.release();
        return { rows: result.rows as TRow[], affected: result.rowCount ?? 0 };
      } catch (error) {
        client.removeListener('error', ignoreError);
        // Releasing with the error makes the pool discard the connection.
        client.release(error instanceof Error ? error : new Error(String(error)));
        const mismatch = isPreparedStatementMismatch(error);
        if (mismatch) {
          this.warnPreparedStatementMismatch(error);
        }
        if (!(mismatch || isEndedSession(error)) || tries >= maxTries) {
          throw error;
        }
        this.logger.debug(`A pooled connection failed (${describeError(error)}); running the statement on another one`);
      }
    }
  }

  private warnPreparedStatementMismatch(error: unknown): void {
    this.mismatchLog.run((suppressed) => {
      const more = suppressed > 0 ? ` (${suppressed} similar warnings not logged)` : '';
      this.logger.warn(
        `PostgreSQL rejected a prepared statement of the module (${describeError(error)}), so its connection is discarded; ` +
          `behind a connection pooler in transaction mode, set the preparedStatements option to false${more}`,
      );
    });
  }

  /** Fails start-up when the migrations have not created the table. */
  async onApplicationBootstrap(): Promise<void> {
    const [row] = await this.dataSource.query(statements.FIND_DELIVERY_TABLE);
    if (!row?.name) {
      throw new Error(
        `VmegModule: table ${DELIVERY_TABLE} does not exist; run the migrations in vmegMigrations ` +
          '(for example "npm run migration:run", or migrationsRun: true in the TypeORM options)',
      );
    }
    this.logger.debug(`Using table ${row.name}`);
  }

  /**
   * Opens a transaction whose lock waits end after `lockTimeoutMs`, or with
   * the session's own lock waits when `boundLockWaits` is false, for a caller
   * whose statements bound their waits themselves. The caller must commit or
   * roll back, then release the runner.
   */
  async beginTransaction(options: { boundLockWaits?: boolean } = {}): Promise<QueryRunner> {
    // Idle pooled connections whose session the server ended (a restart, a
    // failover, pg_terminate_backend) fail on first use, and the pool learns
    // of it only when it reads their socket. Nothing ran on them yet, so the
    // transaction starts again on another one; each try discards one, so the
    // pool's size bounds the tries.
    const maxTries = this.poolSize() + 1;
    for (let tries = 1; ; tries++) {
      const runner = this.dataSource.createQueryRunner();
      try {
        await runner.connect();
        await runner.startTransaction();
        if (options.boundLockWaits ?? true) {
          await this.boundLockWaits(runner);
        }
        return runner;
      } catch (error) {
        const retry = isEndedSession(error) && tries < maxTries;
        if (retry) {
          await connectionOf(runner)?.end().catch(() => undefined);
        }
        await rollBackQuietly(runner);
        await runner.release();
        if (!retry) {
          throw error;
        }
        this.logger.debug(`A pooled connection's session had ended (${describeError(error)}); starting the transaction on another one`);
      }
    }
  }

  /**
   * Starts following the statements of the transaction of `runner`, so that
   * the caller can tell whether a handler left it aborted and can commit it
   * with the check that PostgreSQL really committed.
   */
  watchTransaction(runner: QueryRunner): WatchedTransaction {
    // TypeORM replaces its subscriber list when the data source initializes,
    // so the watcher joins it on use rather than once at start-up.
    const subscribers = this.dataSource.subscribers;
    if (!subscribers.includes(this.transactionWatcher)) {
      subscribers.push(this.transactionWatcher);
    }
    return this.transactionWatcher.watch(runner);
  }

  /** Ends lock waits after `lockTimeoutMs` for the rest of the transaction of `runner`. */
  async boundLockWaits(runner: QueryRunner): Promise<void> {
    await runner.query(statements.SET_LOCK_TIMEOUT, [`${this.options.lockTimeoutMs}ms`]);
  }

  /** Maximum connections of the data source's `pg` pool; `pg`'s default is 10. */
  private poolSize(): number {
    return this.pool().options?.max ?? 10;
  }

  /** Returns the `pg` pool behind the data source's TypeORM Postgres driver. */
  private pool(): PostgresPool {
    const pool = (this.dataSource.driver as unknown as { master?: PostgresPool }).master;
    if (pool === undefined) {
      throw new Error('the TypeORM data source is not connected');
    }
    return pool;
  }

  /** Ends the bound that `beginTransaction` set on lock waits, for the rest of the transaction. */
  async resetLockTimeout(runner: QueryRunner): Promise<void> {
    await runner.query(statements.RESET_LOCK_TIMEOUT);
  }

  /**
   * Opens the transaction of an inline delivery and inserts the delivery as
   * processed, or reads its known row; see INSERT_INLINE_DELIVERY. The caller
   * must commit or roll back, then release the runner.
   *
   * The statement goes straight to the runner's pg client as a prepared
   * statement: PostgreSQL would otherwise plan this CTE for every delivery,
   * which costs it more than running it. When the session does not match the
   * prepared statement, nothing ran in the transaction yet, so it starts
   * again on another connection.
   */
  async beginInline(record: DeliveryRecord): Promise<{ runner: QueryRunner; inserted: InlineInsert }> {
    const parameters = [...deliveryParameters(record), `${this.options.lockTimeoutMs}ms`];
    const query = statementQuery('vmeg_insert_inline_delivery', statements.INSERT_INLINE_DELIVERY, parameters, this.options.preparedStatements);
    const maxTries = this.poolSize() + 1;

    for (let tries = 1; ; tries++) {
      const runner = await this.beginTransaction({ boundLockWaits: false });
      try {
        const { rows } = await connectionOf(runner)!.query<InlineInsertRow>(query);
        return { runner, inserted: toInlineInsert(rows[0]) };
      } catch (error) {
        await rollBackQuietly(runner);
        const mismatch = isPreparedStatementMismatch(error);
        if (mismatch) {
          this.warnPreparedStatementMismatch(error);
          await discard(runner);
        } else {
          await runner.release();
        }
        if (!mismatch || tries >= maxTries) {
          throw error;
        }
      }
    }
  }

  /** Locks a known delivery for the caller's transaction. */
  async lock(runner: QueryRunner, pipelineKey: string): Promise<LockedDelivery | undefined> {
    const rows: LockedDelivery[] = await runner.query(statements.LOCK_DELIVERY, [pipelineKey]);
    return rows[0];
  }

  async markProcessed(runner: QueryRunner, id: string): Promise<void> {
    await runner.query(statements.MARK_PROCESSED, [id]);
  }

  /**
   * Ends the transaction of `runner` while code may still be using it, such
   * as a handler that timed out. A ROLLBACK would wait behind the handler's
   * running statement and leave the connection open to its next one, so the
   * server session is terminated and the client closed: nothing sent on it
   * afterwards can commit. The caller must still release the runner, which
   * then leaves the pool.
   *
   * NOTE: behind a pooler in transaction mode, the PID names the pooler's
   * session, not a server process. Closing the client still aborts the
   * transaction, but a statement already running then runs to its end.
   */
  async abortTransaction(runner: QueryRunner): Promise<void> {
    const client = connectionOf(runner);
    if (client?.processID !== undefined) {
      try {
        await this.execute(statements.TERMINATE_BACKEND, [client.processID]);
      } catch (error) {
        this.logger.warn(`Could not terminate PostgreSQL session ${client.processID}; closing its connection instead: ${describeError(error)}`);
      }
    }
    await client?.end().catch(() => undefined);
  }

  /** Records a failed attempt in a transaction of its own, after the attempt's transaction rolled back. */
  async recordFailedAttempt(record: DeliveryRecord, error: string): Promise<void> {
    const runner = await this.beginTransaction();
    try {
      await runner.query(statements.RECORD_FAILED_ATTEMPT, [...deliveryParameters(record), truncateError(error)]);
      await runner.commitTransaction();
    } catch (failure) {
      await rollBackQuietly(runner);
      throw failure;
    } finally {
      await runner.release();
    }
  }
}

/** The part of `pg`'s client that the store uses. */
interface PostgresClient {
  /** PID of the server process of this connection, from the startup handshake. */
  processID?: number;
  end(): Promise<void>;
  query<TRow extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<TRow>>;
}

/** The row of INSERT_INLINE_DELIVERY. */
interface InlineInsertRow {
  id: string | null;
  known_id: string | null;
  known_status: string;
  known_attempts: number;
}

/** Returns the `pg` client that a TypeORM query runner holds, once it is connected. */
function connectionOf(runner: QueryRunner): PostgresClient | undefined {
  return (runner as unknown as { databaseConnection?: PostgresClient }).databaseConnection;
}

/**
 * Releases the runner and makes the pool close its connection instead of
 * reusing it. The module runs only on TypeORM's Postgres driver, whose query
 * runner has this method.
 */
async function discard(runner: QueryRunner): Promise<void> {
  const postgresRunner = runner as QueryRunner & { releasePostgresConnection(error: Error): Promise<void> };
  await postgresRunner.releasePostgresConnection(new Error('a prepared statement did not match the session'));
}

function toInlineInsert(row: InlineInsertRow): InlineInsert {
  if (row.id !== null) {
    return { id: row.id };
  }
  if (row.known_id === null) {
    return { id: null };
  }
  return { id: null, known: { id: row.known_id, status: row.known_status, attempts: row.known_attempts } };
}

/** Rolls back after a failure; a second failure here must not hide the first. */
export async function rollBackQuietly(runner: QueryRunner): Promise<void> {
  try {
    if (runner.isTransactionActive) {
      await runner.rollbackTransaction();
    }
  } catch {
    // The connection is broken, and pg's pool drops a broken client once the caller releases it.
  }
}
