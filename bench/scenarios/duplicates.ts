/**
 * Scenario 3: retries of known keys against fresh deliveries, in queued and
 * inline mode on Express. A retry is the same signed request sent again,
 * as VMEG resends a delivery it got no 2xx for.
 */
import { startBenchApps, stopBenchApps } from '../support/app-process';
import { measureRounds, roundRatios, warmUp } from '../support/measure';
import { median, type Scenario } from '../support/report';

export const duplicates: Scenario = {
  name: 'duplicates',
  title: 'Retries of known keys against fresh deliveries',
  async run(context) {
    // Enough keys that two connections rarely send the same key at once.
    const keys = context.quick ? 500 : 2000;
    const apps = await startBenchApps([
      { adapter: 'express', variant: 'queued', databaseUrl: await context.database.create() },
      { adapter: 'express', variant: 'inline', databaseUrl: await context.database.create() },
    ]);
    try {
      await warmUp(context, apps);

      const results = await measureRounds(
        context,
        apps.flatMap((app) => [
          { label: `${app.config.variant} fresh`, app },
          { label: `${app.config.variant} duplicates`, app, bodies: { kind: 'replay' as const, keys } },
        ]),
      );

      for (const app of apps) {
        const variant = app.config.variant;
        const fresh = results.get(`${variant} fresh`) ?? [];
        const repeated = results.get(`${variant} duplicates`) ?? [];
        context.log(
          `  ${variant}: fresh ${Math.round(median(fresh.map((run) => run.throughput)))}/s (p99 ${median(fresh.map((run) => run.p99))} ms),` +
            ` duplicates of ${keys} keys ${Math.round(median(repeated.map((run) => run.throughput)))}/s (p99 ${median(repeated.map((run) => run.p99))} ms)`,
        );
        context.ratio({
          scenario: 'duplicates',
          name: `express ${variant} duplicates / fresh throughput`,
          value: median(roundRatios(repeated, fresh, (run) => run.throughput)),
          target: { comparison: '>=', threshold: 1 },
        });
      }
    } finally {
      await stopBenchApps(apps);
    }
  },
};
