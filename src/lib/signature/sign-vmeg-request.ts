import { computeVmegSignature } from './compute-signature';

/** The two headers that VMEG sends with every webhook delivery. */
export type VmegSignatureHeaders = {
  'X-Timestamp': string;
  'X-Signature': string;
};

/**
 * Signs a request body the way VMEG does, for tests and tools that send
 * deliveries to an endpoint. An object body is serialized with
 * `JSON.stringify`; send exactly that string, because the signature covers
 * the bytes. `timestampMs` defaults to now, in Unix epoch milliseconds.
 */
export function signVmegRequest(
  secret: string,
  body: string | Buffer | object,
  timestampMs: number = Date.now(),
): VmegSignatureHeaders {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const timestamp = String(Math.trunc(timestampMs));

  return {
    'X-Timestamp': timestamp,
    'X-Signature': computeVmegSignature(secret, timestamp, bytes).toString('hex'),
  };
}
