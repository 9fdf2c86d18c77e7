/**
 * Top-level body of a VMEG webhook POST, shared by every event
 * (schema `OpenApiCallbackEnvelope` in VMEG's OpenAPI document).
 *
 * NOTE: VMEG's OpenAPI document marks only `data` as required. This type
 * declares `code`, `event` and `pipelineKey` present because routing and
 * deduplication depend on them, so code that parses a raw body must check them.
 */
export interface VmegWebhookEnvelope<TEvent extends string, TData> {
  /** Outcome of the task: 200 means it succeeded, any other value means it failed. */
  code: number;

  /** API version of the task, such as `v1`, matching the `/openapi/v1/...` request path. */
  version?: string;

  /** Product whose task finished; it selects the shape of `data`. */
  event: TEvent;

  /**
   * Stable id of this completion, the key for deduplicating deliveries:
   * every retry of the same completion carries the same value. It differs
   * from `data.taskId`, which names the task, and from the
   * `X-Idempotency-Key` of the `create-async` request. VMEG's example is 32
   * hexadecimal characters.
   */
  pipelineKey: string;

  /** Detail when `code` is not 200, possibly empty. */
  message?: string;

  /** Echo of the `extraData` object sent with the `create-async` request, if any. */
  extraData?: Record<string, unknown>;

  /** Results of the task, shaped by `event`. */
  data: TData;
}
