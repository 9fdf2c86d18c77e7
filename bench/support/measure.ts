import { type BenchApp, describe } from './app-process';
import { assertCleanRun, runLoad } from './load';
import type { LoadBodies, LoadSummary } from './load-protocol';
import type { ScenarioContext } from './report';

/** One load to measure in every round: an app and the bodies sent to it. */
export interface Contender {
  label: string;
  app: BenchApp;
  bodies?: LoadBodies;
}

/** Sends a short load to each app, so that the measured runs find JIT-compiled code and open pool connections. */
export async function warmUp(context: ScenarioContext, apps: BenchApp[]): Promise<void> {
  for (const app of apps) {
    const summary = await runLoad({ url: app.url, connections: context.connections, durationSeconds: 1, bodies: { kind: 'fresh' } });
    assertCleanRun(`warm-up of ${describe(app.config)}`, summary);
  }
}

/**
 * Runs `context.runs` rounds. Each round loads every contender once, one
 * after another, starting one further along the list each round, so that
 * drift in the machine's load spreads over all of them. Returns the
 * summaries by label, in round order.
 */
export async function measureRounds(context: ScenarioContext, contenders: Contender[]): Promise<Map<string, LoadSummary[]>> {
  const results = new Map<string, LoadSummary[]>(contenders.map((contender) => [contender.label, []]));

  for (let round = 0; round < context.runs; round += 1) {
    for (let offset = 0; offset < contenders.length; offset += 1) {
      const contender = contenders[(round + offset) % contenders.length];
      const summary = await runLoad({
        url: contender.app.url,
        connections: context.connections,
        durationSeconds: context.durationSeconds,
        bodies: contender.bodies ?? { kind: 'fresh' },
      });
      assertCleanRun(`${contender.label}, round ${round + 1}`, summary);
      results.get(contender.label)?.push(summary);
      context.log(
        `  round ${round + 1} ${contender.label.padEnd(28)} ${Math.round(summary.throughput).toString().padStart(6)}/s  p50 ${summary.p50} ms  p99 ${summary.p99} ms`,
      );
    }
  }
  return results;
}

/** Per-round values of `pick(numerator) / pick(denominator)`: each ratio uses two runs of the same round. */
export function roundRatios(numerator: LoadSummary[], denominator: LoadSummary[], pick: (summary: LoadSummary) => number): number[] {
  return numerator.map((summary, round) => pick(summary) / pick(denominator[round]));
}

/** Per-round differences `pick(a) - pick(b)`. */
export function roundDifferences(a: LoadSummary[], b: LoadSummary[], pick: (summary: LoadSummary) => number): number[] {
  return a.map((summary, round) => pick(summary) - pick(b[round]));
}
