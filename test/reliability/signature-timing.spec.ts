import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyVmegSignature, type VmegSignatureInput } from '../../src';
import { printSummary } from './support/summary';

const FILE = 'test/reliability/signature-timing.spec.ts';
const SECRET = 'whsec_timing_4b1d9e2c7a6f4e3d';
const NOW_MS = 1_796_400_000_000;
const BODY = Buffer.from('{"pipelineKey":"a1b2c3d4e5f6789012345678901234ab","event":"openapi-tts","code":200,"data":{}}');

/** Batches per signature; batches of the two signatures alternate. */
const ROUNDS = 61;

const correct = createHmac('sha256', SECRET).update(String(NOW_MS)).update(BODY).digest('hex');

/** Every hex digit differs from the correct signature's, so no leading digit matches. */
const noDigitMatches = [...correct].map((digit) => ((parseInt(digit, 16) + 8) % 16).toString(16)).join('');

/** The first 63 hex digits match; only the last one differs. */
const sixtyThreeDigitsMatch = correct.slice(0, 63) + ((parseInt(correct[63], 16) + 8) % 16).toString(16);

function inputWith(signature: string): VmegSignatureInput {
  return { timestamp: String(NOW_MS), signature, rawBody: BODY, secrets: [SECRET], toleranceMs: 300_000, nowMs: NOW_MS };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Times `verify` on two signatures in adjacent batches and returns the
 * median, over all rounds, of the ratio of the two batch times (second over
 * first). Two adjacent batches see the same load on a busy machine, so the
 * per-round ratio cancels it, and the median drops rounds that a pause hit.
 */
function medianRatio(verify: (signature: string) => boolean, first: string, second: string, callsPerBatch: number): { ratio: number; firstNs: number; secondNs: number } {
  const timeBatch = (signature: string): number => {
    const started = process.hrtime.bigint();
    for (let call = 0; call < callsPerBatch; call++) {
      if (verify(signature)) {
        throw new Error('a wrong signature verified');
      }
    }
    return Number(process.hrtime.bigint() - started);
  };

  // Warm-up, so that compilation does not land in the first measured rounds.
  for (let round = 0; round < 5; round++) {
    timeBatch(first);
    timeBatch(second);
  }

  const ratios: number[] = [];
  const firstTimes: number[] = [];
  const secondTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Swap the order every round, so that neither signature always runs second.
    const [firstNs, secondNs] = round % 2 === 0 ? [timeBatch(first), timeBatch(second)] : [timeBatch(second), timeBatch(first)].reverse();
    ratios.push(secondNs / firstNs);
    firstTimes.push(firstNs);
    secondTimes.push(secondNs);
  }

  return { ratio: median(ratios), firstNs: median(firstTimes) / callsPerBatch, secondNs: median(secondTimes) / callsPerBatch };
}

/**
 * A comparison that leaks: it stops at the first differing digit and pays
 * one SHA-256 per matching digit. It shows that `medianRatio` detects a
 * dependence on the matching prefix when there is one.
 */
function leakyVerify(signature: string): boolean {
  const expected = createHmac('sha256', SECRET).update(String(NOW_MS)).update(BODY).digest('hex');
  for (let index = 0; index < expected.length; index++) {
    if (signature[index] !== expected[index]) {
      return false;
    }
    createHash('sha256').update(signature).digest();
  }
  return true;
}

describe('signature comparison timing', () => {
  it('leaky comparison shows in the ratio', () => {
    const callsPerBatch = 20;
    const { ratio, firstNs, secondNs } = medianRatio(leakyVerify, noDigitMatches, sixtyThreeDigitsMatch, callsPerBatch);

    printSummary(FILE, 'leaky comparison', { calls: 2 * ROUNDS * callsPerBatch, 'ns-0-match': firstNs.toFixed(0), 'ns-63-match': secondNs.toFixed(0), ratio: ratio.toFixed(3) });
    expect(ratio).toBeGreaterThan(2);
  });

  it('verify time ignores the matching prefix', () => {
    const verify = (signature: string): boolean => verifyVmegSignature(inputWith(signature)).valid;

    const callsPerBatch = 200;
    const { ratio, firstNs, secondNs } = medianRatio(verify, noDigitMatches, sixtyThreeDigitsMatch, callsPerBatch);

    printSummary(FILE, 'verifyVmegSignature', { calls: 2 * ROUNDS * callsPerBatch, 'ns-0-match': firstNs.toFixed(0), 'ns-63-match': secondNs.toFixed(0), ratio: ratio.toFixed(3) });
    // Loose on purpose: this catches a comparison whose cost grows with the
    // matching prefix by half or more, not a leak of a few nanoseconds.
    expect(ratio).toBeGreaterThan(0.67);
    expect(ratio).toBeLessThan(1.5);
  });
});
