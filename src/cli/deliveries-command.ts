import { Command, Option } from 'commander';
import { toDeliveryDetails, toDeliverySummary, type DeliveryRow } from '../lib/queue/delivery-summary';
import type { VmegDeliveryStatus } from '../lib/store/delivery-status';
import * as statements from '../lib/store/queue.statements';
import { openDeliveryDatabase, type DeliveryDatabase } from './database';
import { CliError } from './errors';
import { integerParser, parseDuration, type Duration } from './option-parsers';
import { formatFields, formatTable, formatTime, oneLine, pluralize, printJson, printLine, printProgress } from './output';

const STATUSES: readonly VmegDeliveryStatus[] = ['pending', 'processing', 'processed', 'failed', 'dead'];

/**
 * Default number of rows that one replay or purge statement changes, the same
 * as `VmegInbox.purge` uses. It is small enough to hold row locks only briefly.
 */
const DEFAULT_BATCH_SIZE = 500;

/** Maximum length of `last_error` in a row of `list`. `show` prints it whole. */
const LIST_ERROR_WIDTH = 60;

interface DatabaseOptions {
  databaseUrl?: string;
  json?: boolean;
}

interface ListOptions extends DatabaseOptions {
  status?: VmegDeliveryStatus;
  event?: string;
  olderThan?: Duration;
  newerThan?: Duration;
  limit: number;
}

interface ShowOptions extends DatabaseOptions {
  payload?: boolean;
}

interface ReplayOptions extends DatabaseOptions {
  dead?: boolean;
  batchSize: number;
}

interface PurgeOptions extends DatabaseOptions {
  olderThan: Duration;
  batchSize: number;
  dryRun?: boolean;
}

export function createDeliveriesCommand(): Command {
  return new Command('deliveries')
    .summary('list, show, replay and purge stored deliveries')
    .description(
      'Reads and changes the table vmeg_webhook_deliveries directly with pg, through --database-url or DATABASE_URL. ' +
        'The app does not need to run, but a replayed delivery is processed only by a running worker of the app: ' +
        'in queued mode by default, in inline mode only where worker.enabled is true.',
    )
    .addHelpText('after', '\nExit codes: 0 on success; 2 for invalid usage, a database that cannot be reached,\nmissing tables or an unknown pipelineKey.')
    .addCommand(createListCommand())
    .addCommand(createShowCommand())
    .addCommand(createReplayCommand())
    .addCommand(createPurgeCommand());
}

/** Adds the options that every deliveries subcommand has. */
function withDatabaseOptions(command: Command): Command {
  return command
    .addOption(new Option('--database-url <url>', 'PostgreSQL URL of the app database, such as postgres://user:password@127.0.0.1:5432/app').env('DATABASE_URL'))
    .option('--json', 'print JSON for scripts instead of text for people');
}

/** Opens the database, runs `work`, and closes the connection, also when `work` fails. */
async function withDatabase(options: DatabaseOptions, work: (database: DeliveryDatabase) => Promise<void>): Promise<void> {
  const database = await openDeliveryDatabase(options.databaseUrl);
  try {
    await work(database);
  } finally {
    await database.close().catch(() => undefined);
  }
}

function createListCommand(): Command {
  return withDatabaseOptions(new Command('list'))
    .summary('list deliveries, newest first')
    .description('Lists deliveries newest first, filtered by state, event and age. Ages are measured from received_at on the database server\'s clock.')
    .addOption(new Option('--status <status>', 'only deliveries in this state').choices(STATUSES))
    .option('--event <event>', 'only deliveries of this event, such as openapi-tts; names this package has no types for work too')
    .option('--older-than <age>', 'only deliveries received longer ago than this, such as 2h or 3d (units s, m, h, d, w)', parseDuration)
    .option('--newer-than <age>', 'only deliveries received within this age, such as 15m or 1d', parseDuration)
    .option('--limit <n>', 'maximum number of deliveries to list', integerParser(1), 50)
    .action((options: ListOptions) => withDatabase(options, (database) => listDeliveries(database, options)));
}

async function listDeliveries(database: DeliveryDatabase, options: ListOptions): Promise<void> {
  const onlyStatus = options.status !== undefined && options.event === undefined && options.olderThan === undefined && options.newerThan === undefined;
  const { rows } = onlyStatus
    ? await database.query<DeliveryRow>(statements.LIST_DELIVERIES, [options.status, options.limit])
    : await database.query<DeliveryRow>(statements.FILTER_DELIVERIES, [
        options.status ?? null,
        options.event ?? null,
        options.olderThan?.ms ?? null,
        options.newerThan?.ms ?? null,
        options.limit,
      ]);
  const deliveries = rows.map(toDeliverySummary);

  if (options.json) {
    printJson(deliveries);
    return;
  }
  if (deliveries.length === 0) {
    printLine('no deliveries match');
    return;
  }

  const table = formatTable(
    ['PIPELINE KEY', 'EVENT', 'STATUS', 'ATTEMPTS', 'RECEIVED (UTC)', 'LAST ERROR'],
    deliveries.map((delivery) => [
      delivery.pipelineKey,
      delivery.event,
      delivery.status,
      String(delivery.attempts),
      formatTime(delivery.receivedAt),
      oneLine(delivery.lastError, LIST_ERROR_WIDTH),
    ]),
  );
  table.forEach((line) => printLine(line));

  const more = deliveries.length === options.limit ? ` (the --limit of ${options.limit}; raise it to see older ones)` : '';
  printLine(`${pluralize(deliveries.length, 'delivery', 'deliveries')}${more}`);
}

function createShowCommand(): Command {
  return withDatabaseOptions(new Command('show'))
    .summary('show one delivery')
    .description('Shows every field of one delivery, the handlers that already succeeded for it, and its last error.')
    .argument('<pipelineKey>', 'pipelineKey of the delivery')
    .option('--payload', 'also print the stored payload; PostgreSQL stores it as jsonb, so key order and spacing differ from the received body')
    .action((pipelineKey: string, options: ShowOptions) => withDatabase(options, (database) => showDelivery(database, pipelineKey, options)));
}

async function showDelivery(database: DeliveryDatabase, pipelineKey: string, options: ShowOptions): Promise<void> {
  const { rows } = await database.query<DeliveryRow>(statements.FIND_DELIVERY, [pipelineKey]);
  if (rows.length === 0) {
    throw notFound(pipelineKey);
  }
  const { payload, ...delivery } = toDeliveryDetails(rows[0]);

  if (options.json) {
    printJson(options.payload ? { ...delivery, payload } : delivery);
    return;
  }

  const fields = formatFields([
    ['pipelineKey', delivery.pipelineKey],
    ['id', delivery.id],
    ['event', delivery.event],
    ['taskId', delivery.taskId ?? '-'],
    ['code', String(delivery.code)],
    ['status', delivery.status],
    ['attempts', String(delivery.attempts)],
    ['receivedAt', formatTime(delivery.receivedAt)],
    ['updatedAt', formatTime(delivery.updatedAt)],
    ['processedAt', formatTime(delivery.processedAt)],
    ['nextAttemptAt', formatTime(delivery.nextAttemptAt)],
    ['completedHandlers', delivery.completedHandlers.length === 0 ? '-' : delivery.completedHandlers.join(', ')],
    ['lastError', delivery.lastError ?? '-'],
  ]);
  fields.forEach((line) => printLine(line));

  if (options.payload) {
    printLine('payload:');
    printLine(JSON.stringify(payload, null, 2));
  }
}

function createReplayCommand(): Command {
  return withDatabaseOptions(new Command('replay'))
    .summary('queue a dead, failed or pending delivery again')
    .description(
      'Queues a delivery again, due now, with its attempt count reset, and notifies the workers. ' +
        'Handlers that already succeeded for it do not run again. Processed deliveries and deliveries that a worker is running are left alone. ' +
        'With --dead, replays every dead delivery, oldest first, in batches.',
    )
    .argument('[pipelineKey]', 'pipelineKey of the delivery to replay')
    .option('--dead', 'replay every dead delivery instead of one')
    .option('--batch-size <n>', 'with --dead: deliveries replayed per statement', integerParser(1), DEFAULT_BATCH_SIZE)
    .action((pipelineKey: string | undefined, options: ReplayOptions) => {
      if ((pipelineKey === undefined) === (options.dead !== true)) {
        throw new CliError('give either a pipelineKey or --dead, such as "vmeg-webhook deliveries replay --dead"');
      }
      return withDatabase(options, (database) =>
        pipelineKey === undefined ? replayDeadDeliveries(database, options) : replayDelivery(database, pipelineKey, options),
      );
    });
}

async function replayDelivery(database: DeliveryDatabase, pipelineKey: string, options: ReplayOptions): Promise<void> {
  const { rows } = await database.query(statements.REPLAY_DELIVERY, [pipelineKey]);

  if (rows.length === 0) {
    const found = await database.query<DeliveryRow>(statements.FIND_DELIVERY, [pipelineKey]);
    if (found.rows.length === 0) {
      throw notFound(pipelineKey);
    }
    const status = found.rows[0].status as VmegDeliveryStatus;
    const reason = status === 'processed' ? 'every handler already succeeded' : 'a worker is running it now';
    throw new CliError(`delivery ${pipelineKey} is ${status}, so it was not replayed (${reason}); replay takes dead, failed or pending deliveries`);
  }

  if (options.json) {
    printJson({ pipelineKey, replayed: true });
    return;
  }
  printLine(`replayed ${pipelineKey}: it is pending again, and a worker of the app runs the handlers that have not succeeded`);
}

/**
 * Replays dead deliveries in batches until as many as were dead at the start
 * are replayed, so that deliveries that die again meanwhile are not replayed
 * in a loop.
 */
async function replayDeadDeliveries(database: DeliveryDatabase, options: ReplayOptions): Promise<void> {
  const total = await countRows(database, statements.COUNT_DELIVERIES_IN_STATE, ['dead']);
  let replayed = 0;

  while (replayed < total) {
    const batch = Math.min(options.batchSize, total - replayed);
    const count = await countRows(database, statements.REPLAY_DEAD_BATCH, [batch]);
    if (count === 0) {
      break;
    }
    replayed += count;
    if (total > options.batchSize) {
      printProgress(`replayed ${replayed} of ${total} dead deliveries`);
    }
  }

  if (options.json) {
    printJson({ replayed });
    return;
  }
  printLine(replayed === 0 ? 'no dead deliveries to replay' : `replayed ${pluralize(replayed, 'dead delivery', 'dead deliveries')}; a worker of the app runs them`);
}

function createPurgeCommand(): Command {
  return withDatabaseOptions(new Command('purge'))
    .summary('delete old processed deliveries')
    .description(
      'Deletes processed deliveries that finished longer ago than --older-than, in batches, with their handler runs. ' +
        'Pending, processing, failed and dead deliveries stay. ' +
        'A VMEG retry of a purged pipelineKey is no longer recognized as a duplicate, so keep deliveries longer than VMEG retries.',
    )
    .requiredOption('--older-than <age>', 'delete deliveries processed longer ago than this, such as 30d (units s, m, h, d, w)', parseDuration)
    .option('--batch-size <n>', 'deliveries deleted per statement', integerParser(1), DEFAULT_BATCH_SIZE)
    .option('--dry-run', 'count the deliveries that would be deleted, and delete nothing')
    .action((options: PurgeOptions) => withDatabase(options, (database) => purgeDeliveries(database, options)));
}

/** Purges in batches up to the number counted at the start, so that the loop ends while deliveries keep ageing into the window. */
async function purgeDeliveries(database: DeliveryDatabase, options: PurgeOptions): Promise<void> {
  const total = await countRows(database, statements.COUNT_PURGEABLE, [options.olderThan.ms]);
  const age = options.olderThan.text;

  if (options.dryRun) {
    if (options.json) {
      printJson({ purged: 0, wouldPurge: total, olderThan: age });
    } else {
      printLine(`would purge ${pluralize(total, 'processed delivery', 'processed deliveries')} older than ${age}; nothing was deleted`);
    }
    return;
  }

  let purged = 0;
  while (purged < total) {
    const { rowCount } = await database.query(statements.PURGE_PROCESSED, [options.olderThan.ms, Math.min(options.batchSize, total - purged)]);
    if (rowCount === 0) {
      break;
    }
    purged += rowCount;
    if (total > options.batchSize) {
      printProgress(`purged ${purged} of ${total} processed deliveries`);
    }
  }

  if (options.json) {
    printJson({ purged, olderThan: age });
    return;
  }
  printLine(`purged ${pluralize(purged, 'processed delivery', 'processed deliveries')} older than ${age}`);
}

async function countRows(database: DeliveryDatabase, sql: string, parameters: unknown[]): Promise<number> {
  const { rows } = await database.query<{ count: number }>(sql, parameters);
  return rows[0]?.count ?? 0;
}

function notFound(pipelineKey: string): CliError {
  return new CliError(`delivery not found: no row of vmeg_webhook_deliveries has pipelineKey "${pipelineKey}"; "vmeg-webhook deliveries list" shows the stored ones`);
}
