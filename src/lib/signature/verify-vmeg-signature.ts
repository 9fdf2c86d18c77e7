import { timingSafeEqual } from 'node:crypto';
import { computeVmegSignature } from './compute-signature';

/** Reason a delivery failed verification; it is logged and counted, and contains no secret. */
export type VmegSignatureFailure =
  | 'missing-timestamp'
  | 'invalid-timestamp'
  | 'timestamp-in-seconds'
  | 'timestamp-outside-tolerance'
  | 'missing-signature'
  | 'malformed-signature'
  | 'signature-mismatch';

export type VmegSignatureCheck =
  | { valid: true; timestampMs: number }
  | { valid: false; failure: VmegSignatureFailure; message: string };

export interface VmegSignatureInput {
  /** `X-Timestamp` as received; Node joins repeated headers with ", ". */
  timestamp: string | string[] | undefined;
  /** `X-Signature` as received. */
  signature: string | string[] | undefined;
  /** The exact request body bytes. */
  rawBody: Buffer;
  secrets: readonly string[];
  toleranceMs: number;
  /** This server's clock in Unix epoch milliseconds. */
  nowMs: number;
}

/** A SHA-256 digest in hex: 64 digits of either case. */
const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/;

/** Unix epoch milliseconds as a plain decimal string; 16 digits reach beyond the year 2200. */
const TIMESTAMP_PATTERN = /^[0-9]{1,16}$/;

/**
 * Verifies `X-Timestamp` and `X-Signature` against the raw body. Never throws
 * on header values: every malformed input is a failure with a reason.
 *
 * The signature is decoded from hex and the 32 digest bytes are compared in
 * constant time, so either hex case verifies and any other length or
 * alphabet fails before `timingSafeEqual` could throw on a length mismatch.
 */
export function verifyVmegSignature(input: VmegSignatureInput): VmegSignatureCheck {
  const timestamp = singleHeader(input.timestamp);
  if (timestamp === undefined) {
    return failure('missing-timestamp', 'missing X-Timestamp header');
  }
  if (!TIMESTAMP_PATTERN.test(timestamp)) {
    return failure('invalid-timestamp', 'X-Timestamp must be Unix epoch milliseconds as a decimal string');
  }

  const timestampMs = Number(timestamp);
  const toleranceSeconds = input.toleranceMs / 1000;
  if (Math.abs(input.nowMs - timestampMs) > input.toleranceMs) {
    if (Math.abs(input.nowMs - timestampMs * 1000) <= input.toleranceMs) {
      return failure('timestamp-in-seconds', 'X-Timestamp is in seconds; it must be Unix epoch milliseconds');
    }
    return failure('timestamp-outside-tolerance', `X-Timestamp is outside the ${toleranceSeconds} s window around this server's clock`);
  }

  const signature = singleHeader(input.signature);
  if (signature === undefined) {
    return failure('missing-signature', 'missing X-Signature header');
  }
  if (!SIGNATURE_PATTERN.test(signature)) {
    return failure('malformed-signature', 'X-Signature must be 64 hexadecimal digits (HMAC-SHA256)');
  }

  const received = Buffer.from(signature, 'hex');
  let matched = false;
  for (const secret of input.secrets) {
    const expected = computeVmegSignature(secret, timestamp, input.rawBody);
    // Every secret is checked, so the time taken does not reveal which one matched.
    matched = timingSafeEqual(expected, received) || matched;
  }

  if (!matched) {
    return failure('signature-mismatch', 'signature does not match');
  }
  return { valid: true, timestampMs };
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  // Node joins repeated headers with ", "; an array comes from adapters that keep them apart.
  const single = Array.isArray(value) ? value.join(', ') : value;
  if (single === undefined || single.length === 0) {
    return undefined;
  }
  return single;
}

function failure(reason: VmegSignatureFailure, message: string): VmegSignatureCheck {
  return { valid: false, failure: reason, message };
}
