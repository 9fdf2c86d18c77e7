/**
 * Scenario 1: acknowledgement throughput and latency of the module against a
 * hand-written Nest route that does the same durable work (verify the HMAC,
 * one INSERT ... ON CONFLICT DO NOTHING, respond 200), on Express and Fastify.
 *
 * The queued app runs with the worker off, as a replica that only receives
 * webhooks, so that its figures are the acknowledgement path alone; the
 * queued-drain scenario measures the worker.
 */
import { type BenchApp, startBenchApps, stopBenchApps } from '../support/app-process';
import type { BenchAdapter, BenchAppVariant } from '../support/app-protocol';
import { createVariantDatabase } from '../support/bench-database';
import { measureRounds, roundDifferences, roundRatios, warmUp } from '../support/measure';
import { median, type Scenario, type ScenarioContext } from '../support/report';

const VARIANTS: BenchAppVariant[] = ['hand-written', 'queued', 'inline'];

async function measureAdapter(context: ScenarioContext, adapter: BenchAdapter): Promise<void> {
  const configs = [];
  for (const variant of VARIANTS) {
    configs.push({ adapter, variant, databaseUrl: await createVariantDatabase(context.database, variant) });
  }
  const apps: BenchApp[] = await startBenchApps(configs);
  try {
    await warmUp(context, apps);

    const results = await measureRounds(
      context,
      apps.map((app) => ({ label: `${adapter} ${app.config.variant}`, app })),
    );
    const handWritten = results.get(`${adapter} hand-written`) ?? [];

    context.log(`  ${adapter}: medians of ${context.runs} run(s), ${context.connections} connections, ${context.durationSeconds} s each`);
    for (const variant of VARIANTS) {
      const runs = results.get(`${adapter} ${variant}`) ?? [];
      context.log(
        `  ${variant.padEnd(13)} ${Math.round(median(runs.map((run) => run.throughput))).toString().padStart(6)}/s` +
          `  p50 ${median(runs.map((run) => run.p50))} ms  p99 ${median(runs.map((run) => run.p99))} ms`,
      );
    }

    const queued = results.get(`${adapter} queued`) ?? [];
    const inline = results.get(`${adapter} inline`) ?? [];
    context.ratio({
      scenario: 'acknowledgement',
      name: `${adapter} queued / hand-written throughput`,
      value: median(roundRatios(queued, handWritten, (run) => run.throughput)),
      target: { comparison: '>=', threshold: 0.85 },
    });
    context.ratio({
      scenario: 'acknowledgement',
      name: `${adapter} queued p99 - hand-written p99`,
      value: median(roundDifferences(queued, handWritten, (run) => run.p99)),
      unit: 'ms',
      target: { comparison: '<=', threshold: 2 },
    });
    context.ratio({
      scenario: 'acknowledgement',
      name: `${adapter} inline (no-op handler) / hand-written throughput`,
      value: median(roundRatios(inline, handWritten, (run) => run.throughput)),
      target: { comparison: '>=', threshold: 0.7 },
    });
    context.ratio({
      scenario: 'acknowledgement',
      name: `${adapter} inline p99 - hand-written p99`,
      value: median(roundDifferences(inline, handWritten, (run) => run.p99)),
      unit: 'ms',
    });
  } finally {
    await stopBenchApps(apps);
  }
}

export const acknowledgement: Scenario = {
  name: 'acknowledgement',
  title: 'Acknowledgement throughput and latency against a hand-written route',
  async run(context) {
    for (const adapter of ['express', 'fastify'] as const) {
      await measureAdapter(context, adapter);
    }
  },
};
