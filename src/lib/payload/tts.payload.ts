/**
 * One synthesized line of a TTS task, in request order
 * (schema `OpenApiTtsResultItem`).
 */
export interface VmegTtsResult {
  /** HTTPS CDN URL of the synthesized audio. */
  uri?: string;

  /** Audio duration in seconds. */
  duration?: number;

  /** Reason this line failed, which can be set even when the envelope's `code` is 200. */
  errorMessage?: string;

  [field: string]: unknown;
}

/** `data` of an `openapi-tts` delivery (schema `OpenApiTtsCreateData`). */
export interface VmegTtsData {
  /** VMEG task id returned by `create-async`. */
  taskId?: string;

  /** Synthesized lines, one per requested line. */
  results?: VmegTtsResult[];

  /** Task creation time, ISO 8601. */
  createdAt?: string;

  [field: string]: unknown;
}
