/**
 * One translated segment, aligned by index with the request's segments
 * (schema `OpenApiTranslateResultItem`).
 */
export interface VmegTranslateItem {
  /** Translated text. */
  text?: string;

  /** Reason this segment failed, which can be set even when the envelope's `code` is 200. */
  errorMessage?: string;

  [field: string]: unknown;
}

/** `data` of an `openapi-translate` delivery (schema `OpenApiTranslateCreateData`). */
export interface VmegTranslateData {
  /** VMEG task id returned by `create-async`. */
  taskId?: string;

  /** Translated segments, aligned by index with the request's segments. */
  items?: VmegTranslateItem[];

  /** Task creation time, ISO 8601. */
  createdAt?: string;

  [field: string]: unknown;
}
