import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyVmegSignature, type VmegSignatureInput } from '../../src';
import { InvalidEnvelopeError, parseVmegEnvelope } from '../../src/lib/http/parse-vmeg-envelope';
import { jsonText } from './support/fuzz-requests';
import { printSummary, runSeed } from './support/summary';

const FILE = 'test/reliability/signature-properties.spec.ts';
const TOLERANCE_MS = 300_000;
const RUNS = 1_000;

/** Computes HMAC-SHA256 over the timestamp bytes followed by the body bytes, without the module's code. */
function referenceSignature(secret: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.concat([Buffer.from(timestamp, 'ascii'), body])).digest('hex');
}

/** Fills `size` bytes from a 32-bit seed with xorshift, much faster than drawing each byte from fast-check. */
function pseudoRandomBytes(seed: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = seed | 1;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** Bodies: arbitrary bytes, valid UTF-8 text, invalid UTF-8 and the empty body. */
const BODY = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 512 }).map((text) => Buffer.from(text, 'utf8')),
  fc.tuple(fc.string({ maxLength: 64 }), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80])).map(([text, bad]) => Buffer.concat([Buffer.from(text), Buffer.from(bad)])),
  fc.constant(Buffer.alloc(0)),
);

/** Secrets of any Unicode text, as VMEG's configuration page could show them. */
const SECRET = fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).filter((secret) => secret.trim().length > 0);

/** A clock reading and a send time inside the tolerance window around it. */
const CLOCK = fc.tuple(fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }), fc.integer({ min: -TOLERANCE_MS, max: TOLERANCE_MS })).map(([nowMs, offset]) => ({
  nowMs,
  timestamp: String(nowMs + offset),
}));

function signedInput(body: Buffer, secret: string, clock: { nowMs: number; timestamp: string }, otherSecrets: string[] = []): VmegSignatureInput {
  return {
    timestamp: clock.timestamp,
    signature: referenceSignature(secret, clock.timestamp, body),
    rawBody: body,
    secrets: [...otherSecrets, secret],
    toleranceMs: TOLERANCE_MS,
    nowMs: clock.nowMs,
  };
}

describe('verifyVmegSignature properties', () => {
  it('accepts every correctly signed input', () => {
    const seed = runSeed();
    let runs = 0;

    fc.assert(
      fc.property(BODY, SECRET, CLOCK, fc.array(SECRET, { maxLength: 2 }), (body, secret, clock, otherSecrets) => {
        runs += 1;
        const check = verifyVmegSignature(signedInput(body, secret, clock, otherSecrets));
        expect(check).toEqual({ valid: true, timestampMs: Number(clock.timestamp) });
      }),
      { seed, numRuns: RUNS },
    );

    printSummary(FILE, 'accepts signed input', { seed, inputs: runs });
  });

  it('accepts signed bodies up to 1 MiB', () => {
    const seed = runSeed();
    let runs = 0;

    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 512 * 1024, max: 1024 * 1024 }), SECRET, CLOCK, (fill, size, secret, clock) => {
        runs += 1;
        const body = pseudoRandomBytes(fill, size);
        const input = signedInput(body, secret, clock);

        expect(verifyVmegSignature(input).valid).toBe(true);

        body[(fill >>> 0) % size] ^= 0x01;
        expect(verifyVmegSignature(input).valid).toBe(false);
      }),
      { seed, numRuns: 4 },
    );

    printSummary(FILE, 'large bodies', { seed, inputs: runs });
  });

  it('rejects any one-byte change of the body', () => {
    const seed = runSeed();
    let runs = 0;
    let rejected = 0;

    fc.assert(
      fc.property(BODY.filter((body) => body.length > 0), SECRET, CLOCK, fc.nat(), fc.integer({ min: 1, max: 255 }), (body, secret, clock, position, mask) => {
        runs += 1;
        const input = signedInput(body, secret, clock);
        const changed = Buffer.from(body);
        changed[position % changed.length] ^= mask;

        const check = verifyVmegSignature({ ...input, rawBody: changed });
        expect(check.valid).toBe(false);
        rejected += 1;
      }),
      { seed, numRuns: RUNS },
    );

    printSummary(FILE, 'body byte changed', { seed, inputs: runs, rejected });
  });

  it('rejects any one-character change of the timestamp', () => {
    const seed = runSeed();
    let runs = 0;
    let rejected = 0;

    fc.assert(
      fc.property(BODY, SECRET, CLOCK, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), (body, secret, clock, position, replacement) => {
        const index = position % clock.timestamp.length;
        fc.pre(clock.timestamp[index] !== replacement);
        runs += 1;
        const input = signedInput(body, secret, clock);
        const timestamp = clock.timestamp.slice(0, index) + replacement + clock.timestamp.slice(index + 1);

        const check = verifyVmegSignature({ ...input, timestamp });
        expect(check.valid).toBe(false);
        rejected += 1;
      }),
      { seed, numRuns: RUNS },
    );

    printSummary(FILE, 'timestamp character changed', { seed, inputs: runs, rejected });
  });

  it('rejects any one-character change of the signature', () => {
    const seed = runSeed();
    let runs = 0;
    let rejected = 0;

    fc.assert(
      fc.property(BODY, SECRET, CLOCK, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), (body, secret, clock, position, replacement) => {
        const input = signedInput(body, secret, clock);
        const signature = input.signature as string;
        const index = position % signature.length;
        // Either hex case is the same digit, and both verify by design.
        fc.pre(signature[index].toLowerCase() !== replacement.toLowerCase());
        runs += 1;

        const check = verifyVmegSignature({ ...input, signature: signature.slice(0, index) + replacement + signature.slice(index + 1) });
        expect(check.valid).toBe(false);
        rejected += 1;
      }),
      { seed, numRuns: RUNS },
    );

    printSummary(FILE, 'signature character changed', { seed, inputs: runs, rejected });
  });

  it('never throws on arbitrary header values', () => {
    const seed = runSeed();
    let runs = 0;
    let rejected = 0;
    const header = fc.oneof(
      fc.constant(undefined),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF, \t'), maxLength: 130 }),
      fc.array(fc.string({ unit: 'binary', maxLength: 70 }), { maxLength: 4 }),
      fc.integer({ min: 0, max: 4_000_000_000_000 }).map(String),
      fc.constantFrom('\ud800', '\u0000'.repeat(64), '０'.repeat(13), '١٧٩٦٤٠٠٠٠٠٠٠٠', 'ａ'.repeat(64), 'Infinity', 'NaN', '-0', '1e12', ' 1796400000000'),
    );

    fc.assert(
      fc.property(header, header, BODY, fc.array(SECRET, { maxLength: 3 }), fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (timestamp, signature, rawBody, secrets, toleranceMs, nowMs) => {
        runs += 1;
        const check = verifyVmegSignature({ timestamp, signature, rawBody, secrets, toleranceMs, nowMs });

        if (!check.valid) {
          expect(check.message.length).toBeGreaterThan(0);
          rejected += 1;
        }
        expect(typeof check.valid).toBe('boolean');
      }),
      { seed, numRuns: RUNS * 2 },
    );

    printSummary(FILE, 'arbitrary headers', { seed, inputs: runs, rejected });
  });
});

describe('parseVmegEnvelope properties', () => {
  function expectOnlyEnvelopeErrors(bytes: Buffer): void {
    try {
      const parsed = parseVmegEnvelope(bytes);
      expect(typeof parsed.payload.pipelineKey).toBe('string');
      expect(typeof parsed.payload.event).toBe('string');
      expect(Number.isSafeInteger(parsed.payload.code)).toBe(true);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEnvelopeError);
    }
  }

  it('throws only InvalidEnvelopeError for arbitrary bytes', () => {
    const seed = runSeed();
    let runs = 0;

    fc.assert(
      fc.property(BODY, (bytes) => {
        runs += 1;
        expectOnlyEnvelopeErrors(bytes);
      }),
      { seed, numRuns: RUNS },
    );

    printSummary(FILE, 'envelope from bytes', { seed, inputs: runs });
  });

  it('throws only InvalidEnvelopeError for JSON-like text', () => {
    const seed = runSeed();
    let runs = 0;
    const envelopeLike = fc
      .tuple(jsonText({ hostile: true, maxDepth: 3 }), fc.dictionary(fc.constantFrom('pipelineKey', 'event', 'code', 'data', 'version', 'message', 'extraData'), jsonText({ hostile: true, maxDepth: 2 })))
      .map(([value, fields]) => [value, `{${Object.entries(fields).map(([name, field]) => `"${name}":${field}`).join(',')}}`]);

    fc.assert(
      fc.property(envelopeLike, fc.nat(), ([value, envelope], cut) => {
        runs += 1;
        expectOnlyEnvelopeErrors(Buffer.from(value));
        expectOnlyEnvelopeErrors(Buffer.from(envelope));
        expectOnlyEnvelopeErrors(Buffer.from(envelope.slice(0, cut % (envelope.length + 1))));
      }),
      { seed, numRuns: RUNS },
    );

    printSummary(FILE, 'envelope from JSON text', { seed, inputs: runs * 3 });
  });

  it('throws only InvalidEnvelopeError for deep nesting', () => {
    const depths = [10_000, 100_000, 1_000_000];
    for (const depth of depths) {
      expectOnlyEnvelopeErrors(Buffer.from(`{"pipelineKey":"k","event":"e","code":1,"data":${'['.repeat(depth)}${']'.repeat(depth)}}`));
      expectOnlyEnvelopeErrors(Buffer.from('['.repeat(depth)));
    }

    printSummary(FILE, 'envelope deep nesting', { inputs: depths.length * 2 });
  });
});
