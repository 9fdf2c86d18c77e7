/** Dispatch mode: the path by which a verified delivery reaches the `@OnVmegEvent` handlers. */
export type VmegDispatchMode = 'queued' | 'inline';

/** Options of `VmegModule.forRoot` and of the factory given to `forRootAsync`. */
export interface VmegModuleOptions {
  /**
   * Webhook secret from VMEG's API Configuration page. Give several while
   * rotating: a delivery signed with any one of them is accepted.
   */
  secret: string | string[];

  /**
   * Maximum distance in seconds between `X-Timestamp` and this server's
   * clock, in the past or in the future. Default 300, the window of VMEG's verification guide.
   */
  toleranceSeconds?: number;

  /**
   * Name of the TypeORM data source that contains `vmeg_webhook_deliveries`,
   * for apps with several `TypeOrmModule.forRoot` connections. Default: the
   * unnamed one.
   */
  dataSourceName?: string;

  /**
   * `'queued'` (default) commits the delivery as pending, responds with 200,
   * and lets the worker run the handlers with retries. `'inline'` runs the
   * handlers inside the webhook request, in the transaction that stores the
   * delivery, and responds with 200 after the commit.
   */
  dispatch?: VmegDispatchMode;

  /** Settings of the worker that processes queued deliveries. */
  worker?: VmegWorkerOptions;

  /**
   * Prometheus metrics through `prom-client`, an optional peer dependency.
   * Default: on when prom-client is installed, in its default registry.
   * `false` turns them off; `{ registry }` uses the app's own registry.
   */
  metrics?: boolean | { registry?: unknown };

  /** Thresholds of `VmegHealthIndicator` (entry point `nestjs-vmeg/health`). */
  health?: VmegHealthThresholds;

  /**
   * Maximum time in ms that a request waits for another request holding the
   * same `pipelineKey` before it responds with 409 (VMEG then retries). It bounds
   * how long a burst of retries can hold pooled connections. Default 3000.
   */
  lockTimeoutMs?: number;

  /**
   * Whether the statement that stores each delivery, and in queued mode the
   * NOTIFY that wakes the workers, run as named prepared statements, which
   * PostgreSQL parses once per connection instead of once per delivery, and
   * whose plans it can reuse. Default true. Set false behind a connection pooler
   * in transaction mode that does not track prepared statements, such as
   * PgBouncer before 1.21 or with `max_prepared_statements = 0`.
   */
  preparedStatements?: boolean;
}

/** Settings of the in-app worker; every field has a default. */
export interface VmegWorkerOptions {
  /**
   * Whether this app instance runs the worker. Default: true in queued mode,
   * false in inline mode. Set false on replicas that only receive webhooks,
   * and keep it on in at least one instance. In inline mode, enable it to
   * process replayed deliveries without waiting for VMEG's next retry.
   */
  enabled?: boolean;

  /** Maximum deliveries processed at once by this instance. Default 4. */
  concurrency?: number;

  /**
   * Time in ms between polls of the table. A NOTIFY wakes the worker sooner;
   * polling still finds work when a notification is lost. Default 1000.
   */
  pollIntervalMs?: number;

  /**
   * Whether the worker keeps one pooled connection in LISTEN, to start on a
   * new delivery at once instead of at the next poll. Default true. Set
   * false behind a pooler in transaction mode, which does not support LISTEN.
   */
  listen?: boolean;

  /** Maximum deliveries claimed by one query. Default: `concurrency`. */
  batchSize?: number;

  /**
   * Time in ms a claim lasts without renewal. The worker renews it while a
   * delivery runs, so it only expires when the worker died; another worker
   * then takes the delivery over. Default 30000.
   */
  leaseMs?: number;

  /** Attempts before a delivery becomes dead. Default 10. */
  maxAttempts?: number;

  /** Delay in ms before the second attempt; it doubles each attempt, with jitter. Default 1000. */
  retryBaseDelayMs?: number;

  /** Maximum delay in ms between two attempts. Default 600000 (10 minutes). */
  retryMaxDelayMs?: number;

  /**
   * Days a processed delivery is kept before the worker purges it. Its
   * `pipelineKey` deduplicates VMEG's retries only while the row exists, and
   * VMEG documents no retry schedule, so the default of 30 days keeps the key
   * far longer than any retry series is expected to last. 0 disables purge.
   */
  retentionDays?: number;

  /** Time in ms between purge runs. Default 3600000 (one hour). */
  purgeIntervalMs?: number;

  /**
   * Maximum time in ms that shutdown waits for running handlers. Deliveries
   * still running after it are taken over by another worker once their lease
   * expires. Default 10000.
   */
  shutdownTimeoutMs?: number;

  /**
   * Maximum time in ms one handler may run for one delivery. When it is
   * exceeded, the handler's transaction is aborted (its server session is
   * terminated, so its writes roll back) and the attempt counts as failed,
   * to be retried after the usual delay. The handler's own code cannot be
   * stopped and keeps running, but nothing it writes through
   * `context.manager` afterwards commits. Default 0: no time-out, and the
   * worker renews the lease of a hung handler until it returns.
   */
  handlerTimeoutMs?: number;
}

/** Limits above which `VmegHealthIndicator` reports the inbox as down. */
export interface VmegHealthThresholds {
  /** Maximum pending deliveries. Default 1000. */
  maxPending?: number;
  /** Maximum age in seconds of the oldest pending delivery. Default 600. */
  maxOldestPendingSeconds?: number;
  /** Maximum dead deliveries. Default 0: any dead delivery needs an operator. */
  maxDead?: number;
}

/** Options that must be known when the module is declared, for `forRoot` and `forRootAsync` alike. */
export interface VmegModuleExtras {
  /**
   * Route of the webhook endpoint, below the app's global prefix. Default
   * `webhooks/vmeg`. `null` registers no controller, for apps that mount
   * `VmegWebhookController` on their own path.
   */
  path?: string | null;
}

/** Module options after validation, with every default applied. */
export interface ResolvedVmegOptions {
  secrets: readonly string[];
  toleranceMs: number;
  dataSourceName: string | undefined;
  dispatch: VmegDispatchMode;
  lockTimeoutMs: number;
  preparedStatements: boolean;
  worker: Required<VmegWorkerOptions>;
  metrics: { enabled: boolean; registry?: unknown };
  health: Required<VmegHealthThresholds>;
}
