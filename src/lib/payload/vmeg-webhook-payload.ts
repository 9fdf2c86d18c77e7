import type { VmegCloneVoiceData } from './clone-voice.payload';
import type { VmegMediaTranslationData } from './media-translation.payload';
import type { VmegTranslateData } from './translate.payload';
import type { VmegTtsData } from './tts.payload';
import { isKnownVmegEvent, type VmegEvent } from './vmeg-event';
import type { VmegWebhookEnvelope } from './vmeg-webhook-envelope';

/** Type of the envelope's `data` for each known event. */
export interface VmegEventDataMap {
  'openapi-tts': VmegTtsData;
  'openapi-translate': VmegTranslateData;
  'openapi-clone-voice': VmegCloneVoiceData;
  'openapi-media-translation': VmegMediaTranslationData;
}

/** Delivery of any known event, discriminated by `event`. */
export type VmegKnownEventPayload = {
  [E in VmegEvent]: VmegWebhookEnvelope<E, VmegEventDataMap[E]>;
}[VmegEvent];

/** Delivery of an event that this package has no types for. */
export type VmegUnknownEventPayload = VmegWebhookEnvelope<string, Record<string, unknown>>;

/**
 * Body of a VMEG webhook delivery. For a known event it is that event's typed
 * envelope. For `'*'`, the default, it is any delivery: one of the known
 * envelopes or {@link VmegUnknownEventPayload}.
 *
 * Comparing `payload.event` with a known name does not narrow a `'*'` payload
 * to one envelope, because the unknown-event member's `event: string` matches
 * every name. Narrow with {@link isKnownVmegEventPayload} first, then on `event`.
 */
export type VmegWebhookPayload<E extends VmegEvent | '*' = '*'> = E extends VmegEvent
  ? VmegWebhookEnvelope<E, VmegEventDataMap[E]>
  : VmegKnownEventPayload | VmegUnknownEventPayload;

/**
 * Checks whether a delivery's `event` is one of `VMEG_EVENTS`, so that
 * `payload.event` then narrows it to a typed envelope. Checks only the event
 * name, not the shape of `data`.
 */
export function isKnownVmegEventPayload(payload: VmegWebhookPayload): payload is VmegKnownEventPayload {
  return isKnownVmegEvent(payload.event);
}
