import type { VmegWorkerOptions } from '../../src';

/** Webhook secret of every benchmark app; the load generator signs with it. */
export const BENCH_SECRET = 'bench-secret';

export type BenchAdapter = 'express' | 'fastify';
export type BenchAppVariant = 'queued' | 'queued-worker' | 'inline' | 'hand-written';

/** Configuration of one benchmark app process, passed as JSON in BENCH_APP_CONFIG. */
export interface BenchAppConfig {
  adapter: BenchAdapter;
  variant: BenchAppVariant;
  databaseUrl: string;
  /** Worker options for `queued-worker`; the worker is on only in that variant. */
  worker?: VmegWorkerOptions;
}

/** Messages the parent sends to an app process. */
export type AppRequest = { type: 'stats' } | { type: 'mark' } | { type: 'stop' };

/** Replies of an app process, matched to their request by `id`. */
export type AppResponse =
  | { type: 'stats'; rss: number; heapUsed: number; handlerCalls: number; gcExposed: boolean }
  | { type: 'mark'; monotonicMicros: number }
  | { type: 'stopped' };
