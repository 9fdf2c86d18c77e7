/**
 * Values of the envelope's `event` field that VMEG sends today, one per
 * product. VMEG states that more may be added, so a receiver must also accept
 * names that are not in this list.
 */
export const VMEG_EVENTS = [
  'openapi-tts',
  'openapi-translate',
  'openapi-clone-voice',
  'openapi-media-translation',
] as const;

/** Name of a VMEG product event that this package has types for. */
export type VmegEvent = (typeof VMEG_EVENTS)[number];

/** Checks whether `value` is one of the event names in {@link VMEG_EVENTS}. */
export function isKnownVmegEvent(value: string): value is VmegEvent {
  return (VMEG_EVENTS as readonly string[]).includes(value);
}
