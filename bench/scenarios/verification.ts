/**
 * Scenario 6: the cost of `verifyVmegSignature` against `crypto.createHmac`
 * alone over the same bytes (the `X-Timestamp` value, then the body), in
 * this process, for 1 KB, 64 KB and 1 MB bodies.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { signVmegRequest, verifyVmegSignature } from '../../src';
import { median, type Scenario } from '../support/report';

const SECRET = 'bench-secret';
const SIZES = [
  { label: '1 KB', bytes: 1024, target: undefined },
  { label: '64 KB', bytes: 64 * 1024, target: 1.2 },
  { label: '1 MB', bytes: 1024 * 1024, target: 1.2 },
];

/** Returns the mean time in µs of one call, over `iterations` calls. */
function time(iterations: number, call: () => unknown): number {
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) {
    sink += call() ? 1 : 0;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  if (sink < 0) {
    throw new Error('unreachable');
  }
  return elapsed / iterations;
}

export const verification: Scenario = {
  name: 'verification',
  title: 'verifyVmegSignature against createHmac alone over the same bytes',
  async run(context) {
    // About 64 MB hashed per measurement (16 MB in quick mode), whatever the body size.
    const bytesPerMeasurement = (context.quick ? 16 : 64) * 1024 * 1024;
    const runs = Math.max(context.runs, 3);

    for (const size of SIZES) {
      const body = randomBytes(size.bytes);
      const headers = signVmegRequest(SECRET, body);
      const timestamp = headers['X-Timestamp'];
      const input = {
        timestamp,
        signature: headers['X-Signature'],
        rawBody: body,
        secrets: [SECRET],
        toleranceMs: 300_000,
        nowMs: Date.now(),
      };
      if (!verifyVmegSignature(input).valid) {
        throw new Error('the benchmark signature does not verify');
      }
      const iterations = Math.max(1, Math.round(bytesPerMeasurement / size.bytes));

      const verifyMicros: number[] = [];
      const hmacMicros: number[] = [];
      // Warm-up, then alternate the two so that both see the same machine load.
      time(Math.ceil(iterations / 4), () => verifyVmegSignature(input).valid);
      time(Math.ceil(iterations / 4), () => createHmac('sha256', SECRET).update(timestamp).update(body).digest());
      for (let round = 0; round < runs; round += 1) {
        verifyMicros.push(time(iterations, () => verifyVmegSignature(input).valid));
        hmacMicros.push(time(iterations, () => createHmac('sha256', SECRET).update(timestamp).update(body).digest()));
      }

      context.log(
        `  ${size.label.padEnd(6)} verifyVmegSignature ${median(verifyMicros).toFixed(2)} µs, createHmac ${median(hmacMicros).toFixed(2)} µs` +
          ` (medians of ${runs} x ${iterations} calls)`,
      );
      context.ratio({
        scenario: 'verification',
        name: `verifyVmegSignature / createHmac at ${size.label}`,
        value: median(verifyMicros.map((micros, round) => micros / hmacMicros[round])),
        target: size.target === undefined ? undefined : { comparison: '<=', threshold: size.target },
      });
    }
  },
};
