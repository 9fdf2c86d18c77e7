// The `expectTypeOf` assertions in this file are checked by the TypeScript
// compiler (`npm run typecheck`); at run time they always pass. The guard
// functions also get run-time tests below.
import { describe, expect, expectTypeOf, it } from 'vitest';

import {
  isKnownVmegEvent,
  isKnownVmegEventPayload,
  VMEG_EVENTS,
  type VmegCloneVoiceData,
  type VmegEvent,
  type VmegKnownEventPayload,
  type VmegMediaFile,
  type VmegMediaTranslationData,
  type VmegMediaTranslationStatus,
  type VmegTaskType,
  type VmegTranslateData,
  type VmegTtsData,
  type VmegUnknownEventPayload,
  type VmegWebhookEnvelope,
  type VmegWebhookPayload,
} from '../src/lib/payload';
import { buildTtsPayload, buildUnknownEventPayload } from '../src/testing';

type TtsPayload = VmegWebhookPayload<'openapi-tts'>;
type MediaResult = NonNullable<VmegWebhookPayload<'openapi-media-translation'>['data']['result']>;

describe('VmegWebhookPayload types', () => {
  it('types a known event as its envelope', () => {
    expectTypeOf<TtsPayload>().toEqualTypeOf<VmegWebhookEnvelope<'openapi-tts', VmegTtsData>>();
    expectTypeOf<VmegWebhookPayload<'openapi-translate'>['data']>().toEqualTypeOf<VmegTranslateData>();
    expectTypeOf<VmegWebhookPayload<'openapi-clone-voice'>['data']>().toEqualTypeOf<VmegCloneVoiceData>();
    expectTypeOf<VmegWebhookPayload<'openapi-media-translation'>['data']>().toEqualTypeOf<VmegMediaTranslationData>();
  });

  it('defaults to any delivery', () => {
    expectTypeOf<VmegWebhookPayload>().toEqualTypeOf<VmegKnownEventPayload | VmegUnknownEventPayload>();
    expectTypeOf<VmegWebhookPayload<'*'>>().toEqualTypeOf<VmegWebhookPayload>();
    expectTypeOf<VmegWebhookPayload<VmegEvent>>().toEqualTypeOf<VmegKnownEventPayload>();
  });

  it('types envelope fields', () => {
    expectTypeOf<TtsPayload['code']>().toEqualTypeOf<number>();
    expectTypeOf<TtsPayload['pipelineKey']>().toEqualTypeOf<string>();
    expectTypeOf<TtsPayload['event']>().toEqualTypeOf<'openapi-tts'>();
    expectTypeOf<TtsPayload['version']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TtsPayload['message']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TtsPayload['extraData']>().toEqualTypeOf<Record<string, unknown> | undefined>();
    expectTypeOf<VmegUnknownEventPayload['event']>().toEqualTypeOf<string>();
    expectTypeOf<VmegUnknownEventPayload['data']>().toEqualTypeOf<Record<string, unknown>>();
  });

  it('types TTS results as optional like the schema', () => {
    type TtsResult = NonNullable<TtsPayload['data']['results']>[number];

    expectTypeOf<TtsResult['uri']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TtsResult['duration']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<TtsResult['errorMessage']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TtsPayload['data']['taskId']>().toEqualTypeOf<string | undefined>();
  });

  it('types translate items and cloned voice', () => {
    type TranslateItem = NonNullable<VmegWebhookPayload<'openapi-translate'>['data']['items']>[number];

    expectTypeOf<TranslateItem['text']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TranslateItem['errorMessage']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<VmegCloneVoiceData['voiceId']>().toEqualTypeOf<string | undefined>();
  });

  it('types media translation result', () => {
    expectTypeOf<VmegMediaTranslationData['status']>().toEqualTypeOf<VmegMediaTranslationStatus | undefined>();
    expectTypeOf<VmegMediaTranslationStatus>().toEqualTypeOf<'running' | 'failed' | 'finished'>();
    expectTypeOf<MediaResult['compress']>().toEqualTypeOf<Record<string, VmegMediaFile> | undefined>();
    expectTypeOf<NonNullable<MediaResult['build']>['video']>().toEqualTypeOf<VmegMediaFile | undefined>();
    expectTypeOf<'vt'>().toExtend<VmegTaskType>();
    expectTypeOf<'dubbing'>().toExtend<VmegTaskType>();
  });

  it('keeps unknown data fields reachable', () => {
    const data = {} as VmegTtsData;

    expectTypeOf(data.addedByVmegLater).toEqualTypeOf<unknown>();
    expectTypeOf(data.createdAt).toEqualTypeOf<string | undefined>();
  });
});

describe("narrowing a '*' payload", () => {
  it('event comparison keeps unknown-event member', () => {
    const payload = buildTtsPayload() as VmegWebhookPayload;

    if (payload.event === 'openapi-tts') {
      // TypeScript cannot exclude the `event: string` member: 'openapi-tts' is a string too.
      expectTypeOf(payload).toEqualTypeOf<TtsPayload | VmegUnknownEventPayload>();
    }
  });

  it('guard then event comparison gives TTS data', () => {
    const payload = buildTtsPayload() as VmegWebhookPayload;

    if (isKnownVmegEventPayload(payload) && payload.event === 'openapi-tts') {
      expectTypeOf(payload).toEqualTypeOf<TtsPayload>();
      expectTypeOf(payload.data).toEqualTypeOf<VmegTtsData>();
    }
  });

  it('guard leaves unknown event in else branch', () => {
    const payload = buildUnknownEventPayload() as VmegWebhookPayload;

    if (!isKnownVmegEventPayload(payload)) {
      expectTypeOf(payload).toEqualTypeOf<VmegUnknownEventPayload>();
    }
  });

  it('switch on known events is exhaustive', () => {
    const payload = buildTtsPayload() as VmegWebhookPayload;
    if (!isKnownVmegEventPayload(payload)) {
      return;
    }

    switch (payload.event) {
      case 'openapi-tts':
        expectTypeOf(payload.data).toEqualTypeOf<VmegTtsData>();
        break;
      case 'openapi-translate':
        expectTypeOf(payload.data).toEqualTypeOf<VmegTranslateData>();
        break;
      case 'openapi-clone-voice':
        expectTypeOf(payload.data).toEqualTypeOf<VmegCloneVoiceData>();
        break;
      case 'openapi-media-translation':
        expectTypeOf(payload.data).toEqualTypeOf<VmegMediaTranslationData>();
        break;
      default:
        expectTypeOf(payload).toEqualTypeOf<never>();
    }
  });
});

describe('payload builder types', () => {
  it('return the typed envelope', () => {
    expectTypeOf(buildTtsPayload()).toEqualTypeOf<TtsPayload>();
    expectTypeOf(buildUnknownEventPayload()).toEqualTypeOf<VmegUnknownEventPayload>();
  });

  it('reject overrides of the wrong type', () => {
    // @ts-expect-error duration is a number of seconds
    buildTtsPayload({ data: { results: [{ duration: '2s' }] } });
    // @ts-expect-error a TTS builder cannot build another event
    buildTtsPayload({ event: 'openapi-translate' });
  });
});

describe('isKnownVmegEvent', () => {
  it.each(VMEG_EVENTS)('accepts %s', (event) => {
    expect(isKnownVmegEvent(event)).toBe(true);
  });

  it.each(['openapi-sample-new-product', '', 'OPENAPI-TTS', 'openapi-tts '])('rejects %j', (event) => {
    expect(isKnownVmegEvent(event)).toBe(false);
  });

  it('narrows a string to VmegEvent', () => {
    const event: string = 'openapi-tts';

    if (isKnownVmegEvent(event)) {
      expectTypeOf(event).toEqualTypeOf<VmegEvent>();
    }
  });
});

describe('isKnownVmegEventPayload', () => {
  it('accepts a known event payload', () => {
    expect(isKnownVmegEventPayload(buildTtsPayload())).toBe(true);
  });

  it('rejects an unknown event payload', () => {
    expect(isKnownVmegEventPayload(buildUnknownEventPayload())).toBe(false);
  });
});
