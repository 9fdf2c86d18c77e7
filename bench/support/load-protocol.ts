/** Bodies that the load generator sends. */
export type LoadBodies =
  /** Every request a new `pipelineKey`: fresh deliveries. */
  | { kind: 'fresh' }
  /** `keys` deliveries sent once before the measurement, then sent again in turn: VMEG's retries of known keys. */
  | { kind: 'replay'; keys: number };

/** Options of one autocannon run against a webhook URL on 127.0.0.1. */
export interface LoadOptions {
  url: string;
  connections: number;
  /** Length of the measured run in seconds; ignored when `amount` is set. */
  durationSeconds: number;
  /** Number of requests to send instead of running for a time. */
  amount?: number;
  bodies: LoadBodies;
}

/** Outcome of one run, from autocannon's result. Latencies in ms. */
export interface LoadSummary {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  /** 2xx responses per second. */
  throughput: number;
  p50: number;
  p99: number;
  /** Requests that had to reuse a pre-generated fresh body because the pool ran out. */
  poolReused: number;
}
