import { Client, type QueryResultRow } from 'pg';
import { FIND_DELIVERY_TABLE } from '../lib/store/delivery.statements';
import { sqlState, SQLSTATE } from '../lib/store/postgres-error';
import { DELIVERY_TABLE } from '../lib/vmeg.constants';
import { CliError, describeCause, networkErrorCode } from './errors';

/** Maximum time in ms to wait for PostgreSQL to accept the connection. */
const CONNECT_TIMEOUT_MS = 10_000;

const RUN_MIGRATIONS_HINT = 'run the migrations in vmegMigrations (for example "npm run migration:run") and try again';

/** A connection to the database that contains `vmeg_webhook_deliveries`. */
export interface DeliveryDatabase {
  /** Runs one statement. A missing table or column raises a `CliError` with the hint to run the migrations. */
  query<TRow extends QueryResultRow>(sql: string, parameters: unknown[]): Promise<{ rows: TRow[]; rowCount: number }>;
  close(): Promise<void>;
}

/**
 * Connects with `pg` and checks that the migrations created the delivery
 * table. Every failure raises a `CliError` that names the server and the
 * database but never the password.
 */
export async function openDeliveryDatabase(databaseUrl: string | undefined): Promise<DeliveryDatabase> {
  if (databaseUrl === undefined || databaseUrl.trim() === '') {
    throw new CliError('missing database URL: pass --database-url or set DATABASE_URL, such as postgres://user@127.0.0.1:5432/app');
  }
  const target = describeDatabase(databaseUrl);

  const client = new Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'vmeg-webhook',
  });
  // Without a listener, an error on an idle connection would crash the process.
  client.on('error', () => undefined);

  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new CliError(describeConnectFailure(error, target));
  }

  const database: DeliveryDatabase = {
    async query<TRow extends QueryResultRow>(sql: string, parameters: unknown[]) {
      try {
        const result = await client.query<TRow>(sql, parameters);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      } catch (error) {
        throw toCliError(error, target);
      }
    },
    close: () => client.end(),
  };

  try {
    const { rows } = await database.query<{ name: string | null }>(FIND_DELIVERY_TABLE, []);
    if (rows[0]?.name === null || rows[0]?.name === undefined) {
      throw new CliError(`table ${DELIVERY_TABLE} does not exist in ${target}: ${RUN_MIGRATIONS_HINT}`);
    }
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  return database;
}

/**
 * Describes a database URL as `database "name" on host:port`, without the
 * user name or password, for messages.
 */
export function describeDatabase(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new CliError('invalid database URL: expected postgres://user:password@host:port/database (the value is not shown because it may contain a password)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new CliError(`invalid database URL: expected the scheme postgres:// or postgresql://, not ${url.protocol}//`);
  }

  const host = url.hostname === '' ? 'localhost' : url.hostname;
  const port = url.port === '' ? '5432' : url.port;
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default)';
  return `database "${name}" on ${host}:${port}`;
}

function describeConnectFailure(error: unknown, target: string): string {
  const code = networkErrorCode(error) ?? sqlState(error);
  const message = describeCause(error);

  if (code === 'ECONNREFUSED') {
    return `cannot connect to ${target}: connection refused; check --database-url or DATABASE_URL and that PostgreSQL is running`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot connect to ${target}: host not found; check the host in --database-url or DATABASE_URL`;
  }
  if (/timeout/i.test(message)) {
    return `cannot connect to ${target}: timed out after ${CONNECT_TIMEOUT_MS / 1000} s; check the host and port in --database-url or DATABASE_URL`;
  }
  // Includes PostgreSQL's own messages for a missing database or a rejected login.
  return `cannot connect to ${target}: ${message}`;
}

/** Maps a failed statement to a `CliError`, with the migrations hint when the schema is older than this tool. */
function toCliError(error: unknown, target: string): Error {
  if (error instanceof CliError) {
    return error;
  }

  const state = sqlState(error);
  // 42703 undefined_column: the queue migration has not run.
  if (state === SQLSTATE.undefinedTable || state === '42703') {
    return new CliError(`the delivery tables in ${target} are missing or incomplete (${describeCause(error)}): ${RUN_MIGRATIONS_HINT}`);
  }
  if (state === undefined && networkErrorCode(error) !== undefined) {
    return new CliError(`lost the connection to ${target}: ${describeCause(error)}`);
  }
  return new CliError(`a statement failed on ${target}: ${describeCause(error)}`);
}
