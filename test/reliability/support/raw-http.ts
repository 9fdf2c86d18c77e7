import { connect } from 'node:net';

/** One header line; a name may appear several times, and values are sent as latin1 bytes. */
export type RawHeader = [name: string, value: string];

export interface RawRequest {
  path: string;
  headers: RawHeader[];
  body: Buffer;
}

export interface RawResponse {
  /** HTTP status, or 0 when the connection ended without a status line. */
  status: number;
  /** Response body as text, without the headers. */
  text: string;
  /** Socket error met while sending or reading, if any. */
  error?: string;
}

/**
 * Sends one HTTP/1.1 request over a new TCP connection to 127.0.0.1 and
 * reads the response until the server closes it. The request bytes are
 * written exactly as given, so a test can send repeated headers, header
 * values that Node's HTTP client refuses, or a body that disagrees with
 * Content-Length. `Connection: close` is always added. Resolves (never
 * rejects) within `timeoutMs`.
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const head = [`POST ${request.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...request.headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), request.body]);

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });

    const finish = (error?: string): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), error));
    };
    const timer = setTimeout(() => finish(`no response within ${timeoutMs} ms`), timeoutMs);

    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A server may respond 413 and close before reading the whole body, so a
    // write error after a status line is not a failure of the request.
    socket.on('error', (error) => finish(error.message));
    socket.write(bytes);
  });
}

function parseResponse(bytes: Buffer, error: string | undefined): RawResponse {
  const text = bytes.toString('latin1');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (match === null) {
    return { status: 0, text, error: error ?? 'connection closed without a response' };
  }
  const bodyStart = text.indexOf('\r\n\r\n');
  return { status: Number(match[1]), text: bodyStart < 0 ? '' : bytes.subarray(bodyStart + 4).toString('utf8'), error };
}

/** Runs `task` for every item with at most `limit` in flight; returns the results in input order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}
