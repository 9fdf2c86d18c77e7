/** Injection token of the validated `ResolvedVmegOptions`. */
export const VMEG_RESOLVED_OPTIONS = Symbol('VMEG_RESOLVED_OPTIONS');

/** Route of the webhook endpoint when the `path` option is not given. */
export const DEFAULT_WEBHOOK_PATH = 'webhooks/vmeg';

/** VMEG's docs reject timestamps more than 300 s away from the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export const DEFAULT_LOCK_TIMEOUT_MS = 3000;

/** Name of the table that the shipped migrations create. */
export const DELIVERY_TABLE = 'vmeg_webhook_deliveries';
