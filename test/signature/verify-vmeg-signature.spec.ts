import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signVmegRequest, verifyVmegSignature, type VmegSignatureCheck, type VmegSignatureInput } from '../../src';

const SECRET = 'whsec_unit_9d2f4a7c1e8b4b6a';
const OTHER_SECRET = 'whsec_unit_other_3c5e7a9b';
const TOLERANCE_MS = 300_000;
const NOW_MS = 1_796_400_000_000;

/** A body with multi-byte UTF-8 and whitespace that re-serialization would change. */
const BODY = Buffer.from('{"code":200, "event":"openapi-tts",\n "pipelineKey":"a1b2c3d4e5f6789012345678901234ab","data":{"text":"grüße 你好"}}');

/** Computes HMAC-SHA256 over the timestamp bytes followed by the body bytes, without the module's code. */
function referenceSignature(secret: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.concat([Buffer.from(timestamp, 'ascii'), body])).digest('hex');
}

/** Builds a verification input that is valid unless `overrides` breaks it. */
function input(overrides: Partial<VmegSignatureInput> = {}): VmegSignatureInput {
  const timestamp = String(NOW_MS);
  return {
    timestamp,
    signature: referenceSignature(SECRET, timestamp, BODY),
    rawBody: BODY,
    secrets: [SECRET],
    toleranceMs: TOLERANCE_MS,
    nowMs: NOW_MS,
    ...overrides,
  };
}

/** Builds a valid input signed for another timestamp than now. */
function signedAt(timestampMs: number, overrides: Partial<VmegSignatureInput> = {}): VmegSignatureInput {
  const timestamp = String(timestampMs);
  return input({ timestamp, signature: referenceSignature(SECRET, timestamp, BODY), ...overrides });
}

function failureOf(check: VmegSignatureCheck): string | undefined {
  return check.valid ? undefined : check.failure;
}

/** Replaces the hex digit at `index` with a different one. */
function flipHexDigit(hex: string, index: number): string {
  const replacement = hex[index] === '0' ? '1' : '0';
  return hex.slice(0, index) + replacement + hex.slice(index + 1);
}

describe('signVmegRequest', () => {
  it('matches the reference HMAC', () => {
    const headers = signVmegRequest(SECRET, BODY, NOW_MS);

    expect(headers['X-Timestamp']).toBe(String(NOW_MS));
    expect(headers['X-Signature']).toBe(referenceSignature(SECRET, String(NOW_MS), BODY));
  });

  it('writes 64 lowercase hex digits', () => {
    const headers = signVmegRequest(SECRET, BODY, NOW_MS);

    expect(headers['X-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs a string as its UTF-8 bytes', () => {
    const headers = signVmegRequest(SECRET, BODY.toString('utf8'), NOW_MS);

    expect(headers['X-Signature']).toBe(referenceSignature(SECRET, String(NOW_MS), BODY));
  });

  it('signs an object as its JSON.stringify output', () => {
    const object = { code: 200, event: 'openapi-tts', data: { text: 'grüße' } };

    const headers = signVmegRequest(SECRET, object, NOW_MS);

    expect(headers['X-Signature']).toBe(referenceSignature(SECRET, String(NOW_MS), Buffer.from(JSON.stringify(object))));
  });

  it('signs bytes that are not valid UTF-8 as they are', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

    const headers = signVmegRequest(SECRET, bytes, NOW_MS);

    expect(headers['X-Signature']).toBe(referenceSignature(SECRET, String(NOW_MS), bytes));
  });

  it('truncates a fractional timestamp', () => {
    const headers = signVmegRequest(SECRET, BODY, NOW_MS + 0.9);

    expect(headers['X-Timestamp']).toBe(String(NOW_MS));
    expect(headers['X-Signature']).toBe(referenceSignature(SECRET, String(NOW_MS), BODY));
  });

  it('defaults the timestamp to now', () => {
    const before = Date.now();

    const headers = signVmegRequest(SECRET, BODY);

    const timestamp = Number(headers['X-Timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('produces headers that verify', () => {
    const headers = signVmegRequest(SECRET, BODY, NOW_MS);

    const check = verifyVmegSignature(input({ timestamp: headers['X-Timestamp'], signature: headers['X-Signature'] }));

    expect(check).toEqual({ valid: true, timestampMs: NOW_MS });
  });
});

describe('verifyVmegSignature', () => {
  describe('valid requests', () => {
    it('accepts the reference signature', () => {
      expect(verifyVmegSignature(input())).toEqual({ valid: true, timestampMs: NOW_MS });
    });

    it('accepts uppercase hex', () => {
      const signature = referenceSignature(SECRET, String(NOW_MS), BODY).toUpperCase();

      expect(verifyVmegSignature(input({ signature })).valid).toBe(true);
    });

    it('accepts mixed-case hex', () => {
      const lower = referenceSignature(SECRET, String(NOW_MS), BODY);
      const mixed = [...lower].map((digit, index) => (index % 2 === 0 ? digit.toUpperCase() : digit)).join('');

      expect(verifyVmegSignature(input({ signature: mixed })).valid).toBe(true);
    });

    it('accepts an empty body signed as empty', () => {
      const empty = Buffer.alloc(0);
      const signature = referenceSignature(SECRET, String(NOW_MS), empty);

      expect(verifyVmegSignature(input({ rawBody: empty, signature })).valid).toBe(true);
    });

    it('accepts the past tolerance boundary', () => {
      expect(verifyVmegSignature(signedAt(NOW_MS - TOLERANCE_MS)).valid).toBe(true);
    });

    it('accepts the future tolerance boundary', () => {
      expect(verifyVmegSignature(signedAt(NOW_MS + TOLERANCE_MS)).valid).toBe(true);
    });

    it('applies a custom tolerance', () => {
      const check = verifyVmegSignature(signedAt(NOW_MS - 10_001, { toleranceMs: 10_000 }));

      expect(failureOf(check)).toBe('timestamp-outside-tolerance');
    });
  });

  describe('timestamp', () => {
    it('rejects a missing timestamp', () => {
      expect(failureOf(verifyVmegSignature(input({ timestamp: undefined })))).toBe('missing-timestamp');
    });

    it('rejects an empty timestamp', () => {
      expect(failureOf(verifyVmegSignature(input({ timestamp: '' })))).toBe('missing-timestamp');
    });

    it.each([
      ['words', 'yesterday'],
      ['negative', `-${NOW_MS}`],
      ['fractional', `${NOW_MS}.5`],
      ['hex', '0x1a2b'],
      ['exponent', '1.7964e12'],
      ['padded', ` ${NOW_MS}`],
      ['17 digits', '1'.repeat(17)],
    ])('rejects a %s timestamp', (_name, timestamp) => {
      expect(failureOf(verifyVmegSignature(input({ timestamp })))).toBe('invalid-timestamp');
    });

    it('rejects a timestamp in seconds', () => {
      const seconds = Math.floor(NOW_MS / 1000);

      expect(failureOf(verifyVmegSignature(signedAt(seconds)))).toBe('timestamp-in-seconds');
    });

    it('rejects a timestamp just past the window', () => {
      expect(failureOf(verifyVmegSignature(signedAt(NOW_MS - TOLERANCE_MS - 1)))).toBe('timestamp-outside-tolerance');
    });

    it('rejects a timestamp just ahead of the window', () => {
      expect(failureOf(verifyVmegSignature(signedAt(NOW_MS + TOLERANCE_MS + 1)))).toBe('timestamp-outside-tolerance');
    });

    it('rejects a timestamp a day old', () => {
      expect(failureOf(verifyVmegSignature(signedAt(NOW_MS - 86_400_000)))).toBe('timestamp-outside-tolerance');
    });

    it('names the window in the message', () => {
      const check = verifyVmegSignature(signedAt(NOW_MS - TOLERANCE_MS - 1));

      expect(check.valid ? '' : check.message).toContain('300 s window');
    });

    it('checks the timestamp before the signature', () => {
      const check = verifyVmegSignature(input({ timestamp: String(NOW_MS - TOLERANCE_MS - 1), signature: 'not hex' }));

      expect(failureOf(check)).toBe('timestamp-outside-tolerance');
    });
  });

  describe('signature', () => {
    it('rejects a missing signature', () => {
      expect(failureOf(verifyVmegSignature(input({ signature: undefined })))).toBe('missing-signature');
    });

    it('rejects an empty signature as missing', () => {
      expect(failureOf(verifyVmegSignature(input({ signature: '' })))).toBe('missing-signature');
    });

    it.each([
      ['63 digits', 'a'.repeat(63)],
      ['65 digits', 'a'.repeat(65)],
      ['128 digits', 'a'.repeat(128)],
      ['non-hex', 'g'.repeat(64)],
      ['sha256= prefix', `sha256=${'a'.repeat(64)}`],
      ['trailing space', `${'a'.repeat(64)} `],
      ['base64', Buffer.alloc(32, 7).toString('base64')],
    ])('rejects %s as malformed', (_name, signature) => {
      expect(failureOf(verifyVmegSignature(input({ signature })))).toBe('malformed-signature');
    });

    it('rejects a valid-looking wrong signature', () => {
      expect(failureOf(verifyVmegSignature(input({ signature: 'a'.repeat(64) })))).toBe('signature-mismatch');
    });

    it('rejects a signature made with another secret', () => {
      const signature = referenceSignature(OTHER_SECRET, String(NOW_MS), BODY);

      expect(failureOf(verifyVmegSignature(input({ signature })))).toBe('signature-mismatch');
    });

    it('rejects a signature over the body alone', () => {
      const signature = createHmac('sha256', SECRET).update(BODY).digest('hex');

      expect(failureOf(verifyVmegSignature(input({ signature })))).toBe('signature-mismatch');
    });

    it('rejects a separator before the body', () => {
      const signature = createHmac('sha256', SECRET).update(`${NOW_MS}.`).update(BODY).digest('hex');

      expect(failureOf(verifyVmegSignature(input({ signature })))).toBe('signature-mismatch');
    });

    it('rejects when no secret is configured', () => {
      expect(failureOf(verifyVmegSignature(input({ secrets: [] })))).toBe('signature-mismatch');
    });
  });

  describe('one-byte changes', () => {
    it('rejects a changed body byte', () => {
      for (const index of [0, Math.floor(BODY.length / 2), BODY.length - 1]) {
        const changed = Buffer.from(BODY);
        changed[index] ^= 0x01;

        expect(failureOf(verifyVmegSignature(input({ rawBody: changed }))), `byte ${index}`).toBe('signature-mismatch');
      }
    });

    it('rejects an appended body byte', () => {
      const longer = Buffer.concat([BODY, Buffer.from('\n')]);

      expect(failureOf(verifyVmegSignature(input({ rawBody: longer })))).toBe('signature-mismatch');
    });

    it('rejects a removed body byte', () => {
      expect(failureOf(verifyVmegSignature(input({ rawBody: BODY.subarray(0, BODY.length - 1) })))).toBe('signature-mismatch');
    });

    it('rejects a timestamp changed by 1 ms', () => {
      const signature = referenceSignature(SECRET, String(NOW_MS), BODY);

      const check = verifyVmegSignature(input({ timestamp: String(NOW_MS + 1), signature }));

      expect(failureOf(check)).toBe('signature-mismatch');
    });

    it('rejects a timestamp with a leading zero', () => {
      const signature = referenceSignature(SECRET, String(NOW_MS), BODY);

      const check = verifyVmegSignature(input({ timestamp: `0${NOW_MS}`, signature }));

      expect(failureOf(check)).toBe('signature-mismatch');
    });

    it('rejects a changed signature digit', () => {
      const signature = referenceSignature(SECRET, String(NOW_MS), BODY);

      for (const index of [0, 31, 63]) {
        const check = verifyVmegSignature(input({ signature: flipHexDigit(signature, index) }));

        expect(failureOf(check), `digit ${index}`).toBe('signature-mismatch');
      }
    });
  });

  describe('repeated headers', () => {
    const signature = referenceSignature(SECRET, String(NOW_MS), BODY);

    it('accepts a one-element timestamp array', () => {
      expect(verifyVmegSignature(input({ timestamp: [String(NOW_MS)] })).valid).toBe(true);
    });

    it('accepts a one-element signature array', () => {
      expect(verifyVmegSignature(input({ signature: [signature] })).valid).toBe(true);
    });

    it.each<[string, Partial<VmegSignatureInput>, string]>([
      ['two timestamps', { timestamp: [String(NOW_MS), String(NOW_MS)] }, 'invalid-timestamp'],
      ['empty timestamp array', { timestamp: [] }, 'missing-timestamp'],
      ['two signatures', { signature: [signature, signature] }, 'malformed-signature'],
      ['empty signature array', { signature: [] }, 'missing-signature'],
      ['array of empty strings', { signature: ['', ''] }, 'malformed-signature'],
    ])('rejects %s without throwing', (_name, overrides, expected) => {
      let check: VmegSignatureCheck | undefined;

      expect(() => {
        check = verifyVmegSignature(input(overrides));
      }).not.toThrow();
      expect(failureOf(check!)).toBe(expected);
    });
  });

  describe('several secrets', () => {
    const timestamp = String(NOW_MS);

    it('accepts a signature by the first secret', () => {
      const signature = referenceSignature(SECRET, timestamp, BODY);

      expect(verifyVmegSignature(input({ signature, secrets: [SECRET, OTHER_SECRET] })).valid).toBe(true);
    });

    it('accepts a signature by the last secret', () => {
      const signature = referenceSignature(OTHER_SECRET, timestamp, BODY);

      expect(verifyVmegSignature(input({ signature, secrets: [SECRET, 'whsec_middle', OTHER_SECRET] })).valid).toBe(true);
    });

    it('rejects a signature by none of them', () => {
      const signature = referenceSignature('whsec_retired', timestamp, BODY);

      const check = verifyVmegSignature(input({ signature, secrets: [SECRET, OTHER_SECRET] }));

      expect(failureOf(check)).toBe('signature-mismatch');
    });
  });

  describe('messages', () => {
    const expectedDigest = referenceSignature(SECRET, String(NOW_MS), BODY);

    const failingInputs: [string, VmegSignatureInput][] = [
      ['missing-timestamp', input({ timestamp: undefined })],
      ['invalid-timestamp', input({ timestamp: 'soon' })],
      ['timestamp-in-seconds', signedAt(Math.floor(NOW_MS / 1000))],
      ['timestamp-outside-tolerance', signedAt(NOW_MS - TOLERANCE_MS - 1)],
      ['missing-signature', input({ signature: undefined })],
      ['malformed-signature', input({ signature: 'z'.repeat(64) })],
      ['signature-mismatch', input({ signature: 'b'.repeat(64) })],
    ];

    it.each(failingInputs)('%s names no secret', (reason, failing) => {
      const check = verifyVmegSignature(failing);

      expect(failureOf(check)).toBe(reason);
      expect(check.valid ? '' : check.message).not.toContain(SECRET);
    });

    it.each(failingInputs)('%s names no expected digest', (_reason, failing) => {
      const check = verifyVmegSignature(failing);
      const message = check.valid ? '' : check.message;

      expect(message.toLowerCase()).not.toContain(expectedDigest);
      expect(message.toLowerCase()).not.toContain(expectedDigest.slice(0, 16));
    });

    it('mismatch omits the received timestamp digest', () => {
      const check = verifyVmegSignature(input({ timestamp: String(NOW_MS + 5), signature: expectedDigest }));
      const digestForReceived = referenceSignature(SECRET, String(NOW_MS + 5), BODY);

      expect(check.valid ? '' : check.message).not.toContain(digestForReceived);
    });

    it('gives each failure a non-empty message', () => {
      for (const [reason, failing] of failingInputs) {
        const check = verifyVmegSignature(failing);

        expect(check.valid ? '' : check.message, reason).not.toBe('');
      }
    });
  });
});
