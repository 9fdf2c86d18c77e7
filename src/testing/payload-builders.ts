/**
 * Builders of sample VMEG webhook bodies for tests and demos, shaped like
 * VMEG's callback schemas (VMEG's OpenAPI document, docs.vmeg.ai source,
 * December 2026).
 *
 * Each event has two builders. `build<Event>Payload` returns a successful
 * delivery (`code` 200). `buildFailed<Event>Payload` returns a failed one:
 * `code` is not 200, `message` gives the reason, and `data` carries the per-item
 * `errorMessage` or the media task's `status: 'failed'`.
 *
 * Unless overridden, every call creates a new random `pipelineKey` and
 * `data.taskId` (32 hexadecimal characters each) and sets `data.createdAt`,
 * where the event has one, to an ISO 8601 time. Sample URLs point at
 * `https://cdn.example.com`.
 *
 * The optional `overrides` argument is a deep partial of the payload and is
 * applied after the defaults:
 * - A plain object merges key by key into the default.
 * - An array or any other value replaces the default.
 * - A key set to `undefined` removes that field from the payload.
 *
 * @example
 * // A TTS task that succeeded except for its second line.
 * const payload = buildTtsPayload({
 *   data: { results: [{ uri: 'https://cdn.example.com/tts/0.mp3', duration: 1.5 }, { errorMessage: 'Text is empty' }] },
 * });
 */
import { randomBytes } from 'node:crypto';

import {
  isKnownVmegEvent,
  type VmegEvent,
  type VmegEventDataMap,
  type VmegMediaTranslationResult,
  type VmegUnknownEventPayload,
  type VmegWebhookEnvelope,
  type VmegWebhookPayload,
} from '../lib/payload';

/** `T` with every property optional at every depth, including the properties of array elements. */
export type DeepPartial<T> = T extends readonly (infer Element)[]
  ? DeepPartial<Element>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Overrides accepted by the builders of event `E`. */
export type VmegPayloadOverrides<E extends VmegEvent> = DeepPartial<VmegWebhookPayload<E>>;

const CDN_BASE_URL = 'https://cdn.example.com';

// NOTE: VMEG documents no failure codes or failure messages. 500 and the
// messages below are invented samples, so code under test should not match on them.
const FAILURE_CODE = 500;

/** Event name that `buildUnknownEventPayload` uses unless overridden. */
export const SAMPLE_UNKNOWN_EVENT = 'openapi-sample-new-product';

/** Builds a successful `openapi-tts` delivery with two synthesized lines. */
export function buildTtsPayload(overrides?: VmegPayloadOverrides<'openapi-tts'>): VmegWebhookPayload<'openapi-tts'> {
  const taskId = overrides?.data?.taskId ?? randomHex();
  const payload = successEnvelope('openapi-tts', {
    taskId,
    results: [
      { uri: cdnUrl(`tts/${taskId}/0.mp3`), duration: 2.64 },
      { uri: cdnUrl(`tts/${taskId}/1.mp3`), duration: 3.18 },
    ],
    createdAt: sampleCreatedAt(),
  });
  return applyOverrides(payload, overrides);
}

/** Builds a failed `openapi-tts` delivery whose only line has an `errorMessage`. */
export function buildFailedTtsPayload(
  overrides?: VmegPayloadOverrides<'openapi-tts'>,
): VmegWebhookPayload<'openapi-tts'> {
  const taskId = overrides?.data?.taskId ?? randomHex();
  const payload = failureEnvelope('openapi-tts', 'Speech synthesis failed', {
    taskId,
    results: [{ errorMessage: 'Voice not found' }],
    createdAt: sampleCreatedAt(),
  });
  return applyOverrides(payload, overrides);
}

/** Builds a successful `openapi-translate` delivery with two translated segments. */
export function buildTranslatePayload(
  overrides?: VmegPayloadOverrides<'openapi-translate'>,
): VmegWebhookPayload<'openapi-translate'> {
  const payload = successEnvelope('openapi-translate', {
    taskId: overrides?.data?.taskId ?? randomHex(),
    items: [{ text: 'Bienvenidos a la demostración.' }, { text: 'Empecemos por el panel.' }],
    createdAt: sampleCreatedAt(),
  });
  return applyOverrides(payload, overrides);
}

/** Builds a failed `openapi-translate` delivery in which every segment has an `errorMessage`. */
export function buildFailedTranslatePayload(
  overrides?: VmegPayloadOverrides<'openapi-translate'>,
): VmegWebhookPayload<'openapi-translate'> {
  const payload = failureEnvelope('openapi-translate', 'Text translation failed', {
    taskId: overrides?.data?.taskId ?? randomHex(),
    items: [{ errorMessage: 'Unsupported target language' }, { errorMessage: 'Unsupported target language' }],
    createdAt: sampleCreatedAt(),
  });
  return applyOverrides(payload, overrides);
}

/** Builds a successful `openapi-clone-voice` delivery that carries the new `voiceId`. */
export function buildCloneVoicePayload(
  overrides?: VmegPayloadOverrides<'openapi-clone-voice'>,
): VmegWebhookPayload<'openapi-clone-voice'> {
  const payload = successEnvelope('openapi-clone-voice', {
    taskId: overrides?.data?.taskId ?? randomHex(),
    voiceId: randomHex(),
    createdAt: sampleCreatedAt(),
  });
  return applyOverrides(payload, overrides);
}

/** Builds a failed `openapi-clone-voice` delivery, which has no `voiceId`. */
export function buildFailedCloneVoicePayload(
  overrides?: VmegPayloadOverrides<'openapi-clone-voice'>,
): VmegWebhookPayload<'openapi-clone-voice'> {
  const payload = failureEnvelope('openapi-clone-voice', 'Voice clone failed: reference audio is too short', {
    taskId: overrides?.data?.taskId ?? randomHex(),
    createdAt: sampleCreatedAt(),
  });
  return applyOverrides(payload, overrides);
}

/**
 * Builds a successful `openapi-media-translation` delivery: a finished video
 * translation (`vt`) from `en-US` to `es-ES` with every part of `result` filled.
 */
export function buildMediaTranslationPayload(
  overrides?: VmegPayloadOverrides<'openapi-media-translation'>,
): VmegWebhookPayload<'openapi-media-translation'> {
  const taskId = overrides?.data?.taskId ?? randomHex();
  const payload = successEnvelope('openapi-media-translation', {
    taskId,
    taskType: 'vt',
    status: 'finished',
    result: sampleMediaTranslationResult(taskId),
  });
  return applyOverrides(payload, overrides);
}

/**
 * Builds a failed `openapi-media-translation` delivery: `status` is `failed`
 * and `result` contains only the parts produced before translation stopped.
 */
export function buildFailedMediaTranslationPayload(
  overrides?: VmegPayloadOverrides<'openapi-media-translation'>,
): VmegWebhookPayload<'openapi-media-translation'> {
  const taskId = overrides?.data?.taskId ?? randomHex();
  const { compress, asrScripts } = sampleMediaTranslationResult(taskId);
  const payload = failureEnvelope('openapi-media-translation', 'Media translation failed', {
    taskId,
    taskType: 'vt',
    status: 'failed',
    result: { compress, asrScripts },
  });
  return applyOverrides(payload, overrides);
}

/**
 * Builds a successful delivery of an event this package has no types for,
 * `SAMPLE_UNKNOWN_EVENT` unless `overrides.event` names another one.
 *
 * @throws Error if `overrides.event` is a known event name, which that event's builder covers.
 */
export function buildUnknownEventPayload(overrides?: DeepPartial<VmegUnknownEventPayload>): VmegUnknownEventPayload {
  const event = overrides?.event ?? SAMPLE_UNKNOWN_EVENT;
  if (isKnownVmegEvent(event)) {
    throw new Error(
      `buildUnknownEventPayload: "${event}" is a known VMEG event, so build it with that event's builder instead`,
    );
  }

  const payload: VmegUnknownEventPayload = {
    code: 200,
    version: 'v1',
    event,
    pipelineKey: randomHex(),
    message: '',
    data: { taskId: randomHex(), createdAt: sampleCreatedAt() },
  };
  return applyOverrides(payload, overrides);
}

function successEnvelope<E extends VmegEvent>(
  event: E,
  data: VmegEventDataMap[E],
): VmegWebhookEnvelope<E, VmegEventDataMap[E]> {
  return { code: 200, version: 'v1', event, pipelineKey: randomHex(), message: '', data };
}

function failureEnvelope<E extends VmegEvent>(
  event: E,
  message: string,
  data: VmegEventDataMap[E],
): VmegWebhookEnvelope<E, VmegEventDataMap[E]> {
  return { code: FAILURE_CODE, version: 'v1', event, pipelineKey: randomHex(), message, data };
}

/**
 * Returns every part of a media translation result for a 12.48-second
 * 1280x720 video. Script timings and TTS line durations are in milliseconds,
 * a guess, because VMEG's document gives no unit for them.
 */
function sampleMediaTranslationResult(taskId: string): VmegMediaTranslationResult {
  const mediaUrl = (name: string) => cdnUrl(`media-translation/${taskId}/${name}`);
  const voiceId = randomHex();
  const durationSeconds = 12.48;
  const durationMs = 12_480;

  return {
    compress: {
      '480p': {
        url: mediaUrl('compress/480p.mp4'),
        duration: durationSeconds,
        size: 1_843_200,
        resolution: { width: 854, height: 480 },
        fps: 25,
      },
    },
    asrScripts: {
      asrResults: [
        {
          id: '1',
          speaker: '1',
          start: 0,
          end: 5_200,
          text: 'Welcome to the product tour.',
          locale: 'en-US',
          gender: 'female',
        },
        {
          id: '2',
          speaker: '1',
          start: 5_600,
          end: 12_100,
          text: "Let's start with the dashboard.",
          locale: 'en-US',
          gender: 'female',
        },
      ],
      monoAudio: mediaUrl('asr/mono.wav'),
      speakerNum: 1,
      language: { source: 'en-US', target: 'es-ES' },
      keywords: ['dashboard'],
      ctcEnabled: false,
    },
    audioSeparation: {
      sfxUrl: mediaUrl('separation/sfx.wav'),
      musicUrl: mediaUrl('separation/music.wav'),
      vocalUrl: mediaUrl('separation/vocal.wav'),
      speechUrl: mediaUrl('separation/speech.wav'),
      otherUrl: mediaUrl('separation/other.wav'),
      mnsUrl: mediaUrl('separation/mns.wav'),
    },
    translatedScripts: {
      result: [
        {
          id: '1',
          start: 0,
          end: 5_200,
          sourceText: 'Welcome to the product tour.',
          text: 'Bienvenidos a la demostración del producto.',
          speaker: '1',
          speakerDisplayName: 'Speaker 1',
          locale: 'es-ES',
          gender: 'female',
          voiceId,
          provider: 'V1',
          sourceSyllable: 8,
          targetSyllable: 15,
        },
        {
          id: '2',
          start: 5_600,
          end: 12_100,
          sourceText: "Let's start with the dashboard.",
          text: 'Empecemos por el panel.',
          speaker: '1',
          speakerDisplayName: 'Speaker 1',
          locale: 'es-ES',
          gender: 'female',
          voiceId,
          provider: 'V1',
          sourceSyllable: 7,
          targetSyllable: 9,
        },
      ],
    },
    voiceClone: { provider: 'V1', mode: 'clone', refAudio: mediaUrl('voice-clone/reference.wav') },
    voiceMatch: [
      {
        speaker: '1',
        voiceId,
        provider: 'V1',
        exampleLanguage: 'en-US',
        content: 'Welcome to the product tour.',
        audio: mediaUrl('voice-clone/example.wav'),
      },
    ],
    tts: {
      result: [
        {
          id: '1',
          text: 'Bienvenidos a la demostración del producto.',
          ttsFile: mediaUrl('tts/1.wav'),
          provider: 'V1',
          voiceId,
          duration: 5_100,
          cloneMode: 'clone',
        },
        {
          id: '2',
          text: 'Empecemos por el panel.',
          ttsFile: mediaUrl('tts/2.wav'),
          provider: 'V1',
          voiceId,
          duration: 6_300,
          cloneMode: 'clone',
        },
      ],
    },
    alignment: {
      audio: [
        { file: mediaUrl('tts/1.wav'), templateId: 1, tracksTimes: [0], timeRange: [0, 5_100], volumeScale: 1 },
        { file: mediaUrl('tts/2.wav'), templateId: 1, tracksTimes: [5_600], timeRange: [0, 6_300], volumeScale: 1 },
      ],
      video: [{ file: mediaUrl('source.mp4'), templateId: 1, tracksTimes: [0], timeRange: [0, durationMs], volumeScale: 0 }],
      subtitle: [],
    },
    build: {
      video: {
        url: mediaUrl('build/video.mp4'),
        duration: durationSeconds,
        size: 4_718_592,
        resolution: { width: 1280, height: 720 },
        fps: 25,
      },
      images: [{ url: mediaUrl('build/cover.jpg'), size: 48_213, resolution: { width: 1280, height: 720 } }],
      audio: { url: mediaUrl('build/audio.mp3'), duration: durationSeconds, size: 199_680 },
    },
  };
}

/** Returns `bytes` random bytes as lowercase hexadecimal, 32 characters by default. */
function randomHex(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

function cdnUrl(path: string): string {
  return `${CDN_BASE_URL}/${path}`;
}

/** Returns a task creation time 90 seconds before now, since a delivery follows its task. */
function sampleCreatedAt(): string {
  return new Date(Date.now() - 90_000).toISOString();
}

function applyOverrides<T extends object>(base: T, overrides: DeepPartial<T> | undefined): T {
  if (overrides === undefined) {
    return base;
  }
  return mergeObjects(base as Record<string, unknown>, overrides as Record<string, unknown>) as T;
}

/**
 * Merges `overrides` into a copy of `base` with the rules in this file's
 * header. Values from `overrides` are cloned so that a payload never shares
 * objects with the caller's overrides.
 */
function mergeObjects(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) {
      delete merged[key];
      continue;
    }

    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : structuredClone(value);
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
