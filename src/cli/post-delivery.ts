import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { computeVmegSignature } from '../lib/signature/compute-signature';
import type { DeliveryBody } from './delivery-bodies';
import { CliError, describeRequestFailure } from './errors';

/** Offset of `--stale` and `--future` timestamps: twice VMEG's 300-second tolerance. */
export const TIMESTAMP_SKEW_MS = 10 * 60_000;

/** Settings of the `X-Timestamp` header that test an endpoint's replay protection. */
export interface TimestampMode {
  /** Added to the current time in ms: negative for `--stale`, positive for `--future`. */
  offsetMs: number;
  /** Whether to send Unix seconds, which a receiver that expects milliseconds reads as 1970. */
  inSeconds: boolean;
}

/** One response of the endpoint, or a request that timed out. */
export interface SendResult {
  /** 1-based number of the request in this run. */
  index: number;
  event: string | undefined;
  pipelineKey: string | undefined;
  /** HTTP status, or undefined when the request timed out. */
  status: number | undefined;
  /** `outcome` of a 2xx JSON response, `message` of an error response, the start of any other body, or why there is none. */
  detail: string;
  /** Time in ms from sending the request to reading the whole response body. */
  durationMs: number;
}

export interface PostOptions {
  url: URL;
  secret: string;
  timestamp: TimestampMode;
  timeoutMs: number;
}

/**
 * Signs `body` as VMEG does, at the moment of sending, and POSTs it. A
 * request that times out becomes a result without a status. A refused or
 * reset connection raises a `CliError`, because the requests after it would
 * fail the same way.
 */
export async function postDelivery(index: number, body: DeliveryBody, options: PostOptions): Promise<SendResult> {
  const nowMs = Date.now() + options.timestamp.offsetMs;
  const timestamp = String(options.timestamp.inSeconds ? Math.floor(nowMs / 1000) : nowMs);
  const signature = computeVmegSignature(options.secret, timestamp, body.bytes).toString('hex');

  const started = performance.now();
  let response: { status: number; text: string };
  try {
    response = await post(options.url, { 'Content-Type': 'application/json', 'X-Timestamp': timestamp, 'X-Signature': signature }, body.bytes, options.timeoutMs);
  } catch (error) {
    if (error instanceof RequestTimeoutError) {
      const durationMs = Math.round(performance.now() - started);
      return { index, event: body.event, pipelineKey: body.pipelineKey, status: undefined, detail: error.message, durationMs };
    }
    throw new CliError(describeRequestFailure(error, options.url.href));
  }

  const durationMs = Math.round(performance.now() - started);
  return { index, event: body.event, pipelineKey: body.pipelineKey, status: response.status, detail: describeResponseBody(response.text), durationMs };
}

class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * POSTs `body` with node:http or node:https and reads the whole response.
 * Unlike `fetch`, these connect to any port, including the ones that the
 * Fetch standard blocks (such as 9 and 6000), so a wrong port reports a
 * refused connection.
 */
function post(url: URL, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  return new Promise((resolve, reject) => {
    const request = send(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });

    const timer = setTimeout(() => request.destroy(new RequestTimeoutError(timeoutMs)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

/** Picks what a person needs from a response body: the `outcome` of an acknowledgement, the `message` of a Nest error, or the text itself. */
export function describeResponseBody(text: string): string {
  try {
    const body = JSON.parse(text) as { outcome?: unknown; message?: unknown };
    if (typeof body.outcome === 'string') {
      return body.outcome;
    }
    if (typeof body.message === 'string') {
      return body.message;
    }
    if (Array.isArray(body.message)) {
      return body.message.map(String).join('; ');
    }
  } catch {
    // Not JSON: show the text.
  }

  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') {
    return '(empty body)';
  }
  return flat.length <= 120 ? flat : `${flat.slice(0, 117)}...`;
}
