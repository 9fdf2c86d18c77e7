import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';

import type { VmegEvent, VmegWebhookPayload } from '../src/lib/payload';
import {
  buildCloneVoicePayload,
  buildFailedCloneVoicePayload,
  buildFailedMediaTranslationPayload,
  buildFailedTranslatePayload,
  buildFailedTtsPayload,
  buildMediaTranslationPayload,
  buildTranslatePayload,
  buildTtsPayload,
  buildUnknownEventPayload,
  SAMPLE_UNKNOWN_EVENT,
} from '../src/testing';

type JsonSchema = Record<string, unknown>;

interface OpenApiDocument {
  components: { schemas: Record<string, JsonSchema> };
}

/** Id of the component schemas as published. */
const PUBLISHED_ID = 'vmeg-openapi.json';

/** Id of the same schemas with `unevaluatedProperties: false` added by `closeSchemas`. */
const CLOSED_ID = 'vmeg-openapi-closed.json';

const ENVELOPE_SCHEMA = 'OpenApiCallbackEnvelope';

const CALLBACK_SCHEMAS = [
  'OpenApiTtsTaskCompletedCallback',
  'OpenApiTranslateTaskCompletedCallback',
  'OpenApiCloneVoiceTaskCompletedCallback',
  'OpenApiMediaTranslationTaskCompletedCallback',
] as const;

const HEX_32 = /^[0-9a-f]{32}$/;
const CDN_URL_PREFIX = 'https://cdn.example.com/';

const openApi = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'vmeg-openapi.json'), 'utf8'),
) as OpenApiDocument;
const ajv = createValidator(openApi);

/**
 * Returns an Ajv instance (JSON Schema 2020-12, the dialect of OpenAPI 3.1)
 * containing VMEG's component schemas twice, as published and closed. Each copy
 * sits under `$defs` of its own id, with `#/components/schemas/` refs
 * rewritten to `#/$defs/`, because Ajv's strict mode rejects `components`
 * as an unknown keyword.
 */
function createValidator(document: OpenApiDocument): Ajv2020 {
  const validator = new Ajv2020({ allErrors: true, strict: true });

  // `example` is an OpenAPI keyword that JSON Schema 2020-12 does not define.
  // Strict mode rejects unknown keywords, so it is declared as an annotation.
  validator.addKeyword('example');
  // `int64` is an OpenAPI format. A parsed JSON number is exact only up to
  // 2^53 - 1, so the check is for a safe integer.
  validator.addFormat('int64', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
  // The callback schemas do not use `nullable`, an OpenAPI 3.0 keyword that one
  // unrelated schema of the document still uses, so it needs no handling.

  const schemas = rewriteRefs(document.components.schemas) as Record<string, JsonSchema>;
  validator.addSchema({ $id: PUBLISHED_ID, $defs: schemas });
  validator.addSchema({ $id: CLOSED_ID, $defs: closeSchemas(schemas) });
  return validator;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(rewriteRefs);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }

  const rewritten: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    rewritten[key] =
      key === '$ref' && typeof child === 'string'
        ? child.replace(/^#\/components\/schemas\//, '#/$defs/')
        : rewriteRefs(child);
  }
  return rewritten;
}

/**
 * Copies the schemas and adds `unevaluatedProperties: false` to every named
 * object schema and to the four callbacks, so that a field missing from
 * VMEG's schemas fails validation. VMEG's schemas allow extra fields, which
 * would let a misspelled field in a builder pass. The envelope stays open
 * because each callback combines it with `data` through `allOf`.
 */
function closeSchemas(schemas: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const closed: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const isCallback = (CALLBACK_SCHEMAS as readonly string[]).includes(name);
    const isObject = 'properties' in schema && name !== ENVELOPE_SCHEMA;
    // Strict mode requires `type: 'object'` beside `unevaluatedProperties`,
    // and the callbacks, built with `allOf`, have no `type` of their own.
    closed[name] = isCallback || isObject ? { ...schema, type: 'object', unevaluatedProperties: false } : schema;
  }
  return closed;
}

function validationErrors(baseId: string, schemaName: string, payload: unknown): ErrorObject[] {
  const validate = ajv.getSchema(`${baseId}#/$defs/${schemaName}`);
  if (validate === undefined) {
    throw new Error(`schema ${schemaName} not found in ${baseId}; check the name in test/fixtures/vmeg-openapi.json`);
  }
  validate(payload);
  return validate.errors ?? [];
}

/** Returns every string in `value` that looks like an absolute URL. */
function collectUrls(value: unknown): string[] {
  if (typeof value === 'string') {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? [value] : [];
  }
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).flatMap(collectUrls);
  }
  return [];
}

interface BuilderCase {
  name: string;
  build: () => VmegWebhookPayload;
  schema: (typeof CALLBACK_SCHEMAS)[number];
  event: VmegEvent;
  failed: boolean;
}

const BUILDER_CASES: BuilderCase[] = [
  { name: 'buildTtsPayload', build: buildTtsPayload, schema: 'OpenApiTtsTaskCompletedCallback', event: 'openapi-tts', failed: false },
  { name: 'buildFailedTtsPayload', build: buildFailedTtsPayload, schema: 'OpenApiTtsTaskCompletedCallback', event: 'openapi-tts', failed: true },
  { name: 'buildTranslatePayload', build: buildTranslatePayload, schema: 'OpenApiTranslateTaskCompletedCallback', event: 'openapi-translate', failed: false },
  { name: 'buildFailedTranslatePayload', build: buildFailedTranslatePayload, schema: 'OpenApiTranslateTaskCompletedCallback', event: 'openapi-translate', failed: true },
  { name: 'buildCloneVoicePayload', build: buildCloneVoicePayload, schema: 'OpenApiCloneVoiceTaskCompletedCallback', event: 'openapi-clone-voice', failed: false },
  { name: 'buildFailedCloneVoicePayload', build: buildFailedCloneVoicePayload, schema: 'OpenApiCloneVoiceTaskCompletedCallback', event: 'openapi-clone-voice', failed: true },
  { name: 'buildMediaTranslationPayload', build: buildMediaTranslationPayload, schema: 'OpenApiMediaTranslationTaskCompletedCallback', event: 'openapi-media-translation', failed: false },
  { name: 'buildFailedMediaTranslationPayload', build: buildFailedMediaTranslationPayload, schema: 'OpenApiMediaTranslationTaskCompletedCallback', event: 'openapi-media-translation', failed: true },
];

describe.each(BUILDER_CASES)('$name', ({ build, schema, event, failed }) => {
  it(`matches ${schema}`, () => {
    expect(validationErrors(PUBLISHED_ID, schema, build())).toEqual([]);
  });

  it('uses only fields named in the schema', () => {
    expect(validationErrors(CLOSED_ID, schema, build())).toEqual([]);
  });

  it(`sets event to ${event}`, () => {
    expect(build().event).toBe(event);
  });

  it(failed ? 'reports failure in code and message' : 'reports success in code', () => {
    const payload = build();

    if (failed) {
      expect(payload.code).not.toBe(200);
      expect(payload.message).toMatch(/\S/);
    } else {
      expect(payload.code).toBe(200);
      expect(payload.message).toBe('');
    }
  });

  it('creates fresh 32-hex pipelineKey and taskId', () => {
    const first = build();
    const second = build();

    expect(first.pipelineKey).toMatch(HEX_32);
    expect(first.data.taskId).toMatch(HEX_32);
    expect(second.pipelineKey).not.toBe(first.pipelineKey);
    expect(second.data.taskId).not.toBe(first.data.taskId);
  });

  it('points every URL at the sample CDN', () => {
    for (const url of collectUrls(build())) {
      expect(url.startsWith(CDN_URL_PREFIX), url).toBe(true);
    }
  });
});

describe('createdAt of sample payloads', () => {
  const withCreatedAt = BUILDER_CASES.filter(({ event }) => event !== 'openapi-media-translation');

  it.each(withCreatedAt)('$name sets an ISO 8601 time in the past', ({ build }) => {
    const createdAt = build().data.createdAt;

    expect(typeof createdAt).toBe('string');
    expect(new Date(createdAt as string).toISOString()).toBe(createdAt);
    expect(Date.parse(createdAt as string)).toBeLessThan(Date.now());
  });
});

describe('failure details of failed payloads', () => {
  it('buildFailedTtsPayload gives every result an errorMessage and no uri', () => {
    const results = buildFailedTtsPayload().data.results ?? [];

    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result.errorMessage).toMatch(/\S/);
      expect(result.uri).toBeUndefined();
    }
  });

  it('buildFailedTranslatePayload gives every item an errorMessage and no text', () => {
    const items = buildFailedTranslatePayload().data.items ?? [];

    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(item.errorMessage).toMatch(/\S/);
      expect(item.text).toBeUndefined();
    }
  });

  it('buildFailedCloneVoicePayload has no voiceId', () => {
    expect(buildFailedCloneVoicePayload().data).not.toHaveProperty('voiceId');
  });

  it('buildFailedMediaTranslationPayload sets status failed', () => {
    expect(buildFailedMediaTranslationPayload().data.status).toBe('failed');
  });

  it('buildFailedMediaTranslationPayload has no build output', () => {
    expect(buildFailedMediaTranslationPayload().data.result).not.toHaveProperty('build');
  });
});

describe('media translation sample', () => {
  it('fills every part of result', () => {
    const result = buildMediaTranslationPayload().data.result;

    expect(Object.keys(result ?? {}).sort()).toEqual(
      ['alignment', 'asrScripts', 'audioSeparation', 'build', 'compress', 'translatedScripts', 'tts', 'voiceClone', 'voiceMatch'].sort(),
    );
  });

  it('keys compress by profile', () => {
    const compress = buildMediaTranslationPayload().data.result?.compress;

    expect(compress?.['480p']?.resolution).toEqual({ width: 854, height: 480 });
  });

  it('sets taskType vt and status finished', () => {
    const data = buildMediaTranslationPayload().data;

    expect(data.taskType).toBe('vt');
    expect(data.status).toBe('finished');
  });
});

describe('builder overrides', () => {
  it('merge nested objects and keep their other fields', () => {
    const payload = buildMediaTranslationPayload({ data: { result: { build: { video: { fps: 30 } } } } });
    const video = payload.data.result?.build?.video;

    expect(video?.fps).toBe(30);
    expect(video?.url).toMatch(/^https:\/\/cdn\.example\.com\/.+\/build\/video\.mp4$/);
    expect(payload.data.result?.tts?.result).toHaveLength(2);
  });

  it('replace arrays whole', () => {
    const payload = buildTtsPayload({ data: { results: [{ errorMessage: 'Text is empty' }] } });

    expect(payload.data.results).toEqual([{ errorMessage: 'Text is empty' }]);
  });

  it('remove a field set to undefined', () => {
    const payload = buildTtsPayload({ version: undefined, data: { createdAt: undefined } });

    expect(payload).not.toHaveProperty('version');
    expect(payload.data).not.toHaveProperty('createdAt');
    expect(payload.data.taskId).toMatch(HEX_32);
  });

  it('set envelope fields', () => {
    const payload = buildCloneVoicePayload({ pipelineKey: 'fixed-key', code: 4001, message: 'Quota exceeded', extraData: { orderId: 'order-17' } });

    expect(payload.pipelineKey).toBe('fixed-key');
    expect(payload.code).toBe(4001);
    expect(payload.message).toBe('Quota exceeded');
    expect(payload.extraData).toEqual({ orderId: 'order-17' });
  });

  it('use an overridden taskId in sample URLs', () => {
    const payload = buildTtsPayload({ data: { taskId: 'task-42' } });

    expect(payload.data.taskId).toBe('task-42');
    expect(payload.data.results?.[0]?.uri).toBe('https://cdn.example.com/tts/task-42/0.mp3');
  });

  it('keep fields VMEG may add', () => {
    const payload = buildTranslatePayload({ data: { detectedLanguage: 'en-US' } });

    expect(payload.data.detectedLanguage).toBe('en-US');
    expect(validationErrors(PUBLISHED_ID, 'OpenApiTranslateTaskCompletedCallback', payload)).toEqual([]);
  });

  it('are copied, not shared with the payload', () => {
    const extraData = { tags: ['a'] };
    const payload = buildTtsPayload({ extraData });
    extraData.tags.push('b');

    expect(payload.extraData).toEqual({ tags: ['a'] });
  });

  it('build a partial failure that still matches the schema', () => {
    const payload = buildTtsPayload({
      data: { results: [{ uri: 'https://cdn.example.com/tts/0.mp3', duration: 1.5 }, { errorMessage: 'Text is empty' }] },
    });

    expect(payload.code).toBe(200);
    expect(validationErrors(CLOSED_ID, 'OpenApiTtsTaskCompletedCallback', payload)).toEqual([]);
  });
});

describe('buildUnknownEventPayload', () => {
  it('uses the sample event name by default', () => {
    expect(buildUnknownEventPayload().event).toBe(SAMPLE_UNKNOWN_EVENT);
  });

  it('accepts another unknown event name', () => {
    expect(buildUnknownEventPayload({ event: 'openapi-dubbing-v2' }).event).toBe('openapi-dubbing-v2');
  });

  it('matches the envelope except the event enum', () => {
    const errors = validationErrors(PUBLISHED_ID, ENVELOPE_SCHEMA, buildUnknownEventPayload());

    expect(errors.map(({ instancePath, keyword }) => `${instancePath} ${keyword}`)).toEqual(['/event enum']);
  });

  it('creates a fresh 32-hex pipelineKey', () => {
    const first = buildUnknownEventPayload();
    const second = buildUnknownEventPayload();

    expect(first.pipelineKey).toMatch(HEX_32);
    expect(second.pipelineKey).not.toBe(first.pipelineKey);
  });

  it('rejects a known event name', () => {
    expect(() => buildUnknownEventPayload({ event: 'openapi-tts' })).toThrow(/"openapi-tts" is a known VMEG event/);
  });
});
