import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_TOLERANCE_SECONDS } from '../vmeg.constants';
import type { ResolvedVmegOptions, VmegHealthThresholds, VmegModuleOptions, VmegWorkerOptions } from './vmeg-module-options';

/** Thrown at start-up when `VmegModule` options are invalid; the message names the option. */
export class InvalidVmegOptionsError extends Error {
  constructor(option: string, problem: string) {
    super(`Invalid VmegModule option "${option}": ${problem}`);
    this.name = 'InvalidVmegOptionsError';
  }
}

const DISPATCH_MODES = ['queued', 'inline'] as const;

const WORKER_DEFAULTS = {
  listen: true,
  concurrency: 4,
  pollIntervalMs: 1000,
  leaseMs: 30_000,
  maxAttempts: 10,
  retryBaseDelayMs: 1000,
  retryMaxDelayMs: 600_000,
  retentionDays: 30,
  purgeIntervalMs: 3_600_000,
  shutdownTimeoutMs: 10_000,
  handlerTimeoutMs: 0,
};

/**
 * Validates the options given to `VmegModule` and applies the defaults.
 * Throws `InvalidVmegOptionsError` on the first invalid option.
 */
export function resolveVmegOptions(options: VmegModuleOptions | undefined): ResolvedVmegOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidVmegOptionsError('options', 'expected an object with at least "secret"');
  }

  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof toleranceSeconds !== 'number' || !Number.isFinite(toleranceSeconds) || toleranceSeconds <= 0) {
    throw new InvalidVmegOptionsError('toleranceSeconds', `expected a positive number of seconds, got ${describe(toleranceSeconds)}`);
  }

  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs <= 0) {
    throw new InvalidVmegOptionsError('lockTimeoutMs', `expected a positive whole number of milliseconds, got ${describe(lockTimeoutMs)}`);
  }

  const preparedStatements = options.preparedStatements ?? true;
  if (typeof preparedStatements !== 'boolean') {
    throw new InvalidVmegOptionsError('preparedStatements', `expected true or false, got ${describe(preparedStatements)}`);
  }

  const dispatch = options.dispatch ?? 'queued';
  if (!(DISPATCH_MODES as readonly unknown[]).includes(dispatch)) {
    throw new InvalidVmegOptionsError('dispatch', `expected one of ${DISPATCH_MODES.map((mode) => `"${mode}"`).join(', ')}, got ${describe(dispatch)}`);
  }

  const dataSourceName = options.dataSourceName;
  if (dataSourceName !== undefined && (typeof dataSourceName !== 'string' || dataSourceName.length === 0)) {
    throw new InvalidVmegOptionsError('dataSourceName', `expected the name of a TypeORM data source, got ${describe(dataSourceName)}`);
  }

  return {
    secrets: resolveSecrets(options.secret),
    toleranceMs: toleranceSeconds * 1000,
    dataSourceName,
    dispatch,
    lockTimeoutMs,
    preparedStatements,
    worker: resolveWorkerOptions(options.worker, dispatch),
    metrics: resolveMetricsOptions(options.metrics),
    health: resolveHealthThresholds(options.health),
  };
}

function resolveMetricsOptions(metrics: VmegModuleOptions['metrics']): ResolvedVmegOptions['metrics'] {
  if (metrics === undefined || metrics === true) {
    return { enabled: true };
  }
  if (metrics === false) {
    return { enabled: false };
  }
  if (metrics === null || typeof metrics !== 'object') {
    throw new InvalidVmegOptionsError('metrics', `expected true, false or { registry }, got ${describe(metrics)}`);
  }
  const registry = metrics.registry as { getSingleMetric?: unknown } | undefined;
  if (registry !== undefined && typeof registry?.getSingleMetric !== 'function') {
    throw new InvalidVmegOptionsError('metrics.registry', 'expected a prom-client Registry');
  }
  return { enabled: true, registry };
}

function resolveHealthThresholds(health: VmegHealthThresholds | undefined): Required<VmegHealthThresholds> {
  if (health !== undefined && (health === null || typeof health !== 'object')) {
    throw new InvalidVmegOptionsError('health', `expected an object, got ${describe(health)}`);
  }
  return {
    maxPending: nonNegativeNumber('health.maxPending', health?.maxPending ?? 1000),
    maxOldestPendingSeconds: nonNegativeNumber('health.maxOldestPendingSeconds', health?.maxOldestPendingSeconds ?? 600),
    maxDead: nonNegativeNumber('health.maxDead', health?.maxDead ?? 0),
  };
}

function resolveWorkerOptions(worker: VmegWorkerOptions | undefined, dispatch: string): Required<VmegWorkerOptions> {
  if (worker !== undefined && (worker === null || typeof worker !== 'object')) {
    throw new InvalidVmegOptionsError('worker', `expected an object, got ${describe(worker)}`);
  }

  const enabled = worker?.enabled ?? dispatch === 'queued';
  if (typeof enabled !== 'boolean') {
    throw new InvalidVmegOptionsError('worker.enabled', `expected true or false, got ${describe(enabled)}`);
  }

  const listen = worker?.listen ?? WORKER_DEFAULTS.listen;
  if (typeof listen !== 'boolean') {
    throw new InvalidVmegOptionsError('worker.listen', `expected true or false, got ${describe(listen)}`);
  }

  const concurrency = positiveInteger('worker.concurrency', worker?.concurrency ?? WORKER_DEFAULTS.concurrency);
  const resolved = {
    enabled,
    listen,
    concurrency,
    pollIntervalMs: positiveInteger('worker.pollIntervalMs', worker?.pollIntervalMs ?? WORKER_DEFAULTS.pollIntervalMs),
    batchSize: positiveInteger('worker.batchSize', worker?.batchSize ?? concurrency),
    leaseMs: positiveInteger('worker.leaseMs', worker?.leaseMs ?? WORKER_DEFAULTS.leaseMs),
    maxAttempts: positiveInteger('worker.maxAttempts', worker?.maxAttempts ?? WORKER_DEFAULTS.maxAttempts),
    retryBaseDelayMs: positiveInteger('worker.retryBaseDelayMs', worker?.retryBaseDelayMs ?? WORKER_DEFAULTS.retryBaseDelayMs),
    retryMaxDelayMs: positiveInteger('worker.retryMaxDelayMs', worker?.retryMaxDelayMs ?? WORKER_DEFAULTS.retryMaxDelayMs),
    retentionDays: nonNegativeNumber('worker.retentionDays', worker?.retentionDays ?? WORKER_DEFAULTS.retentionDays),
    purgeIntervalMs: positiveInteger('worker.purgeIntervalMs', worker?.purgeIntervalMs ?? WORKER_DEFAULTS.purgeIntervalMs),
    shutdownTimeoutMs: positiveInteger('worker.shutdownTimeoutMs', worker?.shutdownTimeoutMs ?? WORKER_DEFAULTS.shutdownTimeoutMs),
    handlerTimeoutMs: nonNegativeInteger('worker.handlerTimeoutMs', worker?.handlerTimeoutMs ?? WORKER_DEFAULTS.handlerTimeoutMs),
  };

  if (resolved.leaseMs < 1000) {
    throw new InvalidVmegOptionsError('worker.leaseMs', `expected at least 1000 ms, because the worker renews a lease every third of it; got ${resolved.leaseMs}`);
  }
  if (resolved.retryMaxDelayMs < resolved.retryBaseDelayMs) {
    throw new InvalidVmegOptionsError('worker.retryMaxDelayMs', `expected at least worker.retryBaseDelayMs (${resolved.retryBaseDelayMs}), got ${resolved.retryMaxDelayMs}`);
  }
  return resolved;
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidVmegOptionsError(option, `expected a positive whole number, got ${describe(value)}`);
  }
  return value;
}

function nonNegativeInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidVmegOptionsError(option, `expected a whole number of 0 or more, got ${describe(value)}`);
  }
  return value;
}

function nonNegativeNumber(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidVmegOptionsError(option, `expected a number of 0 or more, got ${describe(value)}`);
  }
  return value;
}

/** Validates the `path` option; `null` means that the app mounts the controller itself. */
export function resolveWebhookPath(path: unknown, defaultPath: string): string | null {
  if (path === null) {
    return null;
  }
  if (path === undefined) {
    return defaultPath;
  }
  if (typeof path !== 'string' || path.trim().length === 0) {
    throw new InvalidVmegOptionsError('path', `expected a route such as "webhooks/vmeg", or null, got ${describe(path)}`);
  }
  return path.trim().replace(/^\/+|\/+$/g, '');
}

function resolveSecrets(secret: unknown): string[] {
  const secrets = Array.isArray(secret) ? secret : [secret];

  if (secret === undefined || secret === null) {
    throw new InvalidVmegOptionsError('secret', 'missing; set it to the webhook secret from VMEG\'s API Configuration page (for example from VMEG_WEBHOOK_SECRET)');
  }
  if (secrets.length === 0) {
    throw new InvalidVmegOptionsError('secret', 'the array is empty; give at least one webhook secret');
  }

  secrets.forEach((value, index) => {
    const name = Array.isArray(secret) ? `secret[${index}]` : 'secret';
    if (typeof value !== 'string') {
      throw new InvalidVmegOptionsError(name, `expected a string, got ${typeof value}`);
    }
    if (value.trim().length === 0) {
      throw new InvalidVmegOptionsError(name, 'the secret is empty');
    }
  });

  return secrets as string[];
}

/** Describes a rejected value for an error message. Secrets never reach it. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  }
  if (typeof value === 'object' && value !== null) {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
  return String(value);
}
