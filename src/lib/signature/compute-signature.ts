import { createHmac } from 'node:crypto';

/**
 * Computes VMEG's signature: HMAC-SHA256, keyed with the webhook secret, over
 * the `X-Timestamp` header bytes followed directly by the raw body bytes.
 */
export function computeVmegSignature(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(timestamp).update(rawBody).digest();
}
