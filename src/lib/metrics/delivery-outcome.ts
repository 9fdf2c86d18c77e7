/**
 * Label values of `vmeg_webhook_deliveries_total{outcome}`: what happened to
 * a request (`queued`, `duplicate`, `rejected`, `in_progress` for a 409,
 * `unavailable` for a 503) or to a delivery's attempt (`processed`, `failed`,
 * `dead`).
 */
export type DeliveryOutcomeLabel =
  | 'queued'
  | 'processed'
  | 'duplicate'
  | 'rejected'
  | 'in_progress'
  | 'unavailable'
  | 'failed'
  | 'dead';
