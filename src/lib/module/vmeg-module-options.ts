/** How a verified delivery reaches the `@OnVmegEvent` handlers. */
export type VmegDispatchMode = 'inline';

/** Options of `VmegModule.forRoot` and of the factory given to `forRootAsync`. */
export interface VmegModuleOptions {
  /**
   * Webhook secret from VMEG's API Configuration page. Give several while
   * rotating: a delivery signed with any one of them is accepted.
   */
  secret: string | string[];

  /**
   * Maximum distance in seconds between `X-Timestamp` and this server's
   * clock, in the past or in the future. Default 300, as VMEG's docs say.
   */
  toleranceSeconds?: number;

  /**
   * Name of the TypeORM data source that holds `vmeg_webhook_deliveries`,
   * for apps with several `TypeOrmModule.forRoot` connections. Default: the
   * unnamed one.
   */
  dataSourceName?: string;

  /**
   * `'inline'` runs the handlers inside the webhook request, in the
   * transaction that stores the delivery, and answers 200 after the commit.
   */
  dispatch?: VmegDispatchMode;

  /**
   * Maximum time in ms that a request waits for another request holding the
   * same `pipelineKey` before it answers 409 (VMEG then retries). It bounds
   * how long a burst of retries can hold pooled connections. Default 3000.
   */
  lockTimeoutMs?: number;
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
}
