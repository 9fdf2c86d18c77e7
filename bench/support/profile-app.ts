import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BenchAdapter, BenchAppVariant } from './app-protocol';
import { startBenchApp } from './app-process';
import { type CpuSplit, splitCpuProfile } from './cpu-profile';
import { assertCleanRun, runLoad } from './load';
import { createVariantDatabase } from './bench-database';
import { warmUp } from './measure';
import type { ScenarioContext } from './report';

/** CPU time of one app under load, split by part, and the deliveries it acknowledged meanwhile. */
export interface AppProfile {
  split: CpuSplit;
  deliveries: number;
  wallMs: number;
}

/**
 * Runs one app with `--cpu-prof` under one load of `context.durationSeconds`
 * and splits the CPU samples taken between the start and the end of that
 * load, so that start-up and warm-up are left out.
 */
export async function profileApp(context: ScenarioContext, adapter: BenchAdapter, variant: BenchAppVariant): Promise<AppProfile> {
  const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vmeg-bench-profile-'));
  try {
    const app = await startBenchApp(
      { adapter, variant, databaseUrl: await createVariantDatabase(context.database, variant) },
      { nodeOptions: ['--cpu-prof', '--cpu-prof-dir', profileDir] },
    );
    let from: number;
    let to: number;
    let deliveries: number;
    try {
      await warmUp(context, [app]);
      from = (await app.request<'mark'>('mark')).monotonicMicros;
      const summary = await runLoad({ url: app.url, connections: context.connections, durationSeconds: context.durationSeconds, bodies: { kind: 'fresh' } });
      assertCleanRun('profiled run', summary);
      to = (await app.request<'mark'>('mark')).monotonicMicros;
      deliveries = summary.ok;
    } finally {
      await app.stop();
    }

    const [file] = (await fs.readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) {
      throw new Error(`the profiled app wrote no .cpuprofile into ${profileDir}`);
    }
    const split = await splitCpuProfile(path.join(profileDir, file), from, to);
    return { split, deliveries, wallMs: (to - from) / 1000 };
  } finally {
    await fs.rm(profileDir, { recursive: true, force: true });
  }
}

/** Logs a profile as one line per part: share of CPU time and µs per delivery, largest first. */
export function logProfile(context: ScenarioContext, label: string, profile: AppProfile): void {
  const { split, deliveries, wallMs } = profile;
  context.log(
    `  CPU profile of the app (${label}), ${deliveries} deliveries in ${(wallMs / 1000).toFixed(1)} s:` +
      ` ${Math.round(split.totalMs)} ms on CPU, ${((split.totalMs * 1000) / deliveries).toFixed(0)} µs per delivery`,
  );
  const rows = [...split.byCategory].sort((a, b) => b[1] - a[1]);
  for (const [category, ms] of rows) {
    context.log(`    ${((100 * ms) / split.totalMs).toFixed(1).padStart(5)}%  ${((ms * 1000) / deliveries).toFixed(0).padStart(4)} µs/delivery  ${category}`);
  }
}
