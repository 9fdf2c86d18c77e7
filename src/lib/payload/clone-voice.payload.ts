/** `data` of an `openapi-clone-voice` delivery (schema `OpenApiCloneVoiceCreateData`). */
export interface VmegCloneVoiceData {
  /** VMEG task id returned by `create-async`. */
  taskId?: string;

  /** Id of the new cloned voice, usable as a TTS `voiceId`, present when the clone succeeded. */
  voiceId?: string;

  /** Task creation time, ISO 8601. */
  createdAt?: string;

  [field: string]: unknown;
}
