import type { BenchDatabase } from './bench-database';
import { quantile } from './bench-database';

/** A measured ratio against its baseline, with the target it is held to. */
export interface Ratio {
  scenario: string;
  /** The two figures compared, e.g. "express queued / hand-written throughput". */
  name: string;
  value: number;
  /** `>=`: the ratio must reach the threshold; `<=`: it must not exceed it. */
  target?: { comparison: '>=' | '<='; threshold: number };
  /** Unit of the value when it is a difference rather than a ratio, e.g. "ms". */
  unit?: string;
}

/** Settings and callbacks that the runner gives every scenario. */
export interface ScenarioContext {
  database: BenchDatabase;
  /** `--quick`: one short run per measurement. */
  quick: boolean;
  /** Runs per measurement; each figure is the median of them. */
  runs: number;
  /** Length in seconds of one load run. */
  durationSeconds: number;
  /** autocannon connections, and pgbench clients. */
  connections: number;
  log(line: string): void;
  ratio(ratio: Ratio): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(context: ScenarioContext): Promise<void>;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Checks a ratio against its target; undefined when it has none. */
export function targetMet(ratio: Ratio): boolean | undefined {
  if (ratio.target === undefined) {
    return undefined;
  }
  return ratio.target.comparison === '>=' ? ratio.value >= ratio.target.threshold : ratio.value <= ratio.target.threshold;
}

/** Formats a ratio as the one line that the runner prints and docs/benchmarks.md quotes. */
export function formatRatio(ratio: Ratio): string {
  const value = ratio.unit ? `${ratio.value.toFixed(2)} ${ratio.unit}` : ratio.value.toFixed(3);
  let target = '';
  if (ratio.target) {
    const threshold = ratio.unit ? `${ratio.target.threshold} ${ratio.unit}` : String(ratio.target.threshold);
    target = ` (target ${ratio.target.comparison} ${threshold}: ${targetMet(ratio) ? 'met' : 'MISSED'})`;
  }
  return `ratio ${ratio.scenario}: ${ratio.name} = ${value}${target}`;
}

/** Formats a number of requests per second. */
export function perSecond(value: number): string {
  return `${Math.round(value)}/s`;
}
