import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import type { VmegEvent } from '../lib/payload/vmeg-event';
import { buildDeliveryBodies, EVENT_NAMES, type BodySource, type DeliveryBody } from './delivery-bodies';
import { CliError, EXIT_UNEXPECTED_STATUS } from './errors';
import { integerParser, parseHttpUrl } from './option-parsers';
import { pluralize, printJson, printLine } from './output';
import { postDelivery, TIMESTAMP_SKEW_MS, type PostOptions, type SendResult } from './post-delivery';

export const DEFAULT_WEBHOOK_URL = 'http://127.0.0.1:3000/webhooks/vmeg';

/** Column widths of the response lines: the longest event name today, and a 32-digit pipelineKey. */
const EVENT_COLUMN_WIDTH = 'openapi-media-translation'.length;
const PIPELINE_KEY_COLUMN_WIDTH = 32;

/** Options of `send` after commander parsed them. */
interface SendOptions {
  url: URL;
  event?: VmegEvent;
  failed?: boolean;
  file?: string;
  secret?: string;
  repeat: number;
  count: number;
  concurrency: number;
  timeout: number;
  stale?: boolean;
  future?: boolean;
  forge?: boolean;
  seconds?: boolean;
  json?: boolean;
}

/** The switches that make a request the endpoint must reject, with what each one tests. */
const DEFENCE_SWITCHES = [
  ['stale', 'a timestamp 10 minutes old'],
  ['future', 'a timestamp 10 minutes ahead'],
  ['forge', 'a signature made with a wrong secret'],
  ['seconds', 'a timestamp in seconds instead of milliseconds'],
] as const;

export function createSendCommand(): Command {
  return new Command('send')
    .summary('sign and POST VMEG deliveries to a webhook endpoint')
    .description(
      'Signs deliveries as VMEG does (HMAC-SHA256 of X-Timestamp followed by the body) and POSTs them. ' +
        'Prints each response: number, HTTP status, time, event, pipelineKey and the outcome or message of the JSON body. ' +
        'The body is a sample payload (--event), a file (--file), or standard input ("-").',
    )
    .argument('[body]', '"-" to read the body from standard input')
    .addOption(new Option('--url <url>', 'URL of the webhook endpoint').default(parseHttpUrl(DEFAULT_WEBHOOK_URL), DEFAULT_WEBHOOK_URL).argParser(parseHttpUrl))
    .addOption(new Option('--event <event>', 'send a sample payload of this event').choices(EVENT_NAMES))
    .option('--failed', 'with --event: send the failure variant of the sample (code 500 and per-item error messages)')
    .option('--file <path>', 'send the bytes of this file as the body')
    .addOption(
      new Option('--secret <secret>', 'webhook secret to sign with; the environment variable is safer, because other users can see command lines in the process list').env(
        'VMEG_WEBHOOK_SECRET',
      ),
    )
    .option('--repeat <n>', 'send each delivery n times with the same bytes, as VMEG retries one pipelineKey', integerParser(1), 1)
    .option('--count <n>', 'send n distinct deliveries, each with its own pipelineKey', integerParser(1), 1)
    .option('--concurrency <n>', 'maximum requests in flight at once', integerParser(1), 1)
    .option('--timeout <ms>', 'maximum time in ms to wait for one response; a request that times out counts as failed', integerParser(1), 10_000)
    .addOption(new Option('--stale', 'defence test: send a timestamp 10 minutes old; expects 401').conflicts('future'))
    .option('--future', 'defence test: send a timestamp 10 minutes ahead; expects 401')
    .option('--forge', 'defence test: sign with a random wrong secret (needs no --secret); expects 401')
    .option('--seconds', 'defence test: send the timestamp in Unix seconds instead of milliseconds; expects 401')
    .option('--json', 'print the responses and the summary as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Exit codes:',
        '  0  every response was 2xx, or 401 with a defence switch',
        '  1  a response had another status, or a request timed out',
        '  2  invalid usage, a missing secret, or a connection that failed',
        '',
        'Examples:',
        '  VMEG_WEBHOOK_SECRET=... vmeg-webhook send --event openapi-tts',
        '  vmeg-webhook send --event openapi-translate --failed --repeat 3',
        '  vmeg-webhook send --file delivery.json --url http://127.0.0.1:3000/webhooks/vmeg',
        '  vmeg-webhook send - < delivery.json',
        '  vmeg-webhook send --event openapi-tts --count 100 --concurrency 10',
        '  vmeg-webhook send --event openapi-tts --forge',
      ].join('\n'),
    )
    .action(async (body: string | undefined, options: SendOptions) => {
      await runSend(body, options);
    });
}

async function runSend(bodyArgument: string | undefined, options: SendOptions): Promise<void> {
  const source = resolveBodySource(bodyArgument, options);
  const defences = DEFENCE_SWITCHES.filter(([name]) => options[name] === true);
  const secret = resolveSigningSecret(options);

  const bodies = await buildDeliveryBodies(source, options.count);
  const postOptions: PostOptions = {
    url: options.url,
    secret,
    timeoutMs: options.timeout,
    timestamp: {
      offsetMs: (options.stale ? -TIMESTAMP_SKEW_MS : 0) + (options.future ? TIMESTAMP_SKEW_MS : 0),
      inSeconds: options.seconds === true,
    },
  };

  // Each delivery is sent `repeat` times in a row, so that with a concurrency of 1
  // the first request of a pipelineKey is stored and the next ones are retries.
  const requests = bodies.flatMap((body) => Array.from({ length: options.repeat }, () => body));
  const started = performance.now();
  const results = await sendAll(requests, options.concurrency, postOptions, options.json === true);
  const elapsedMs = Math.round(performance.now() - started);

  const expectedStatus = defences.length > 0 ? 401 : undefined;
  const unexpected = results.filter((result) => !isExpected(result, expectedStatus));
  const verdict = describeVerdict(results.length, unexpected.length, defences.map(([name, what]) => `--${name} (${what})`));

  if (options.json) {
    printJson({
      url: options.url.href,
      results,
      summary: { ...summarize(results, elapsedMs), expectedStatus: expectedStatus ?? '2xx', unexpected: unexpected.length },
    });
  } else {
    printLine(describeSummary(results, elapsedMs));
    printLine(verdict);
  }

  if (unexpected.length > 0) {
    process.exitCode = EXIT_UNEXPECTED_STATUS;
  }
}

function resolveBodySource(bodyArgument: string | undefined, options: SendOptions): BodySource {
  if (bodyArgument !== undefined && bodyArgument !== '-') {
    throw new CliError(`unexpected argument "${bodyArgument}": give "-" to read the body from standard input, or --file ${bodyArgument} to send a file`);
  }

  const sources = [options.event !== undefined, options.file !== undefined, bodyArgument === '-'].filter(Boolean).length;
  if (sources !== 1) {
    throw new CliError('choose one body: --event <event>, --file <path>, or "-" for standard input');
  }
  if (options.failed && options.event === undefined) {
    throw new CliError('--failed selects the failure variant of a sample payload, so it needs --event');
  }

  if (options.event !== undefined) {
    return { kind: 'event', event: options.event, failed: options.failed === true };
  }
  if (options.file !== undefined && options.file !== '-') {
    return { kind: 'file', path: options.file };
  }
  return { kind: 'stdin' };
}

/** Returns the secret to sign with: a random wrong one for `--forge`, else the configured one. */
function resolveSigningSecret(options: SendOptions): string {
  if (options.forge) {
    return `forged-${randomBytes(24).toString('hex')}`;
  }
  if (options.secret === undefined || options.secret === '') {
    throw new CliError('missing webhook secret: set VMEG_WEBHOOK_SECRET or pass --secret (the secret from VMEG\'s API Configuration page)');
  }
  return options.secret;
}

/** Sends every request with at most `concurrency` in flight and prints each response as it arrives unless `quiet`. */
async function sendAll(requests: DeliveryBody[], concurrency: number, options: PostOptions, quiet: boolean): Promise<SendResult[]> {
  const results: SendResult[] = [];
  const width = String(requests.length).length;
  let next = 0;
  let failure: unknown;

  const worker = async (): Promise<void> => {
    while (next < requests.length && failure === undefined) {
      const index = next;
      next += 1;
      try {
        const result = await postDelivery(index + 1, requests[index], options);
        results.push(result);
        if (!quiet) {
          printLine(formatResult(result, width));
        }
      } catch (error) {
        failure ??= error;
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  if (failure !== undefined) {
    throw failure;
  }
  return results.sort((a, b) => a.index - b.index);
}

function formatResult(result: SendResult, width: number): string {
  return [
    `#${String(result.index).padStart(width)}`,
    result.status === undefined ? '---' : String(result.status),
    `${String(result.durationMs).padStart(5)} ms`,
    (result.event ?? '-').padEnd(EVENT_COLUMN_WIDTH),
    (result.pipelineKey ?? '-').padEnd(PIPELINE_KEY_COLUMN_WIDTH),
    result.detail,
  ].join('  ');
}

function isExpected(result: SendResult, expectedStatus: number | undefined): boolean {
  if (result.status === undefined) {
    return false;
  }
  return expectedStatus === undefined ? result.status >= 200 && result.status < 300 : result.status === expectedStatus;
}

interface SendSummary {
  requests: number;
  statuses: Record<string, number>;
  minMs: number;
  medianMs: number;
  maxMs: number;
  elapsedMs: number;
}

function summarize(results: SendResult[], elapsedMs: number): SendSummary {
  const statuses: Record<string, number> = {};
  for (const result of results) {
    const key = result.status === undefined ? 'timeout' : String(result.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }

  const durations = results.map((result) => result.durationMs).sort((a, b) => a - b);
  return {
    requests: results.length,
    statuses,
    minMs: durations[0] ?? 0,
    medianMs: median(durations),
    maxMs: durations[durations.length - 1] ?? 0,
    elapsedMs,
  };
}

/** Returns the median of sorted whole milliseconds, rounded, or 0 for none. */
function median(sorted: number[]): number {
  if (sorted.length === 0) {
    return 0;
  }
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
}

function describeSummary(results: SendResult[], elapsedMs: number): string {
  const summary = summarize(results, elapsedMs);
  const statuses = Object.entries(summary.statuses)
    .map(([status, count]) => `${status} x${count}`)
    .join(', ');
  return (
    `${pluralize(summary.requests, 'request', 'requests')} in ${elapsedMs} ms: ${statuses}; ` +
    `time min ${summary.minMs} ms, median ${summary.medianMs} ms, max ${summary.maxMs} ms`
  );
}

function describeVerdict(total: number, unexpected: number, defences: string[]): string {
  if (defences.length === 0) {
    return unexpected === 0 ? 'every response was 2xx' : `${unexpected} of ${total} responses were not 2xx`;
  }

  const tested = defences.join(', ');
  if (unexpected === 0) {
    return `every response was 401, as expected for ${tested}: the endpoint rejected the requests`;
  }
  return `expected 401 for ${tested}, but ${unexpected} of ${total} responses were not 401: the endpoint did not reject them`;
}
