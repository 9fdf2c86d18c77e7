import type { IncomingHttpHeaders } from 'node:http';

/**
 * The parts of an Express or Fastify request that the module reads. Both
 * adapters set `rawBody` when the app is created with `{ rawBody: true }`.
 */
export interface VmegRawRequest {
  headers: IncomingHttpHeaders;
  rawBody?: Buffer;
  ip?: string;
}

/** `application/json` and `application/*+json`, with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_MEDIA_TYPE.test(contentType);
}

/** `application/json` itself, the only JSON type that Express's and Fastify's default parsers read. */
export function isApplicationJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);
}

/** Checks whether the request announces a body, by `Content-Length` or `Transfer-Encoding`. */
export function announcesBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
