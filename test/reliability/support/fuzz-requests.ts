import fc from 'fast-check';
import { signVmegRequest } from '../../../src';
import { TEST_SECRET } from '../../support/test-app';
import type { RawHeader } from './raw-http';

/**
 * How a generated request is signed. Every mode except `valid` and
 * `valid-uppercase` must fail verification.
 */
export type SignatureMode =
  | 'valid'
  | 'valid-uppercase'
  | 'wrong-secret'
  | 'tampered-body'
  | 'tampered-timestamp'
  | 'missing-signature'
  | 'missing-timestamp'
  | 'repeated-timestamp'
  | 'repeated-signature'
  | 'timestamp-in-seconds'
  | 'stale-timestamp'
  | 'garbage-signature'
  | 'garbage-timestamp';

/** A request of the fuzz run, with what the test may expect of its response. */
export interface FuzzRequest {
  /** Name of the body generator, for the summary and failure messages. */
  bodyKind: string;
  signatureMode: SignatureMode;
  contentType: string | undefined;
  chunked: boolean;
  /** The body as signed and delivered, after any tampering. */
  body: Buffer;
  /** The body bytes on the wire: `body`, or `body` in chunked transfer encoding. */
  wireBody: Buffer;
  headers: RawHeader[];
  /**
   * True when the request is a well-formed delivery that PostgreSQL can
   * store, validly signed and framed: its response must be 200.
   */
  mustBeAccepted: boolean;
  /** Top-level fields whose integer literal must read back unchanged through `payload->>'field'`. */
  bigIntegers: Record<string, string>;
}

const WHITESPACE = fc.constantFrom('', '', '', ' ', '\n', '\t', ' \r\n  ');

/** Number literals that JSON.parse rounds or that sit at the edges of PostgreSQL's numeric. */
const EDGE_NUMBERS = [
  '0', '-0', '1.0', '1e2', '1E+2', '-1.5e-3', '0.000', '9007199254740993', '-9007199254740993', '18446744073709551617',
  '123456789012345678901234567890.123456789', '1e400', '-1E+400', '0.1e-400', '1.7976931348623157e309', '5e-324',
];

/** String literals with escapes that JSON allows but jsonb may not store. */
const HOSTILE_STRINGS = ['"\\u0000"', '"a\\u0000b"', '"\\ud800"', '"x\\udc00"', '"\\udbff\\udfff"', '"\\ud83d\\ude00"', '"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"\\u00e4\\u00C4"'];

const ODD_KEYS = ['"__proto__"', '"constructor"', '"prototype"', '"toString"', '"hasOwnProperty"', '"pipelineKey"', '""', '"a\\u0000"', '"\\ud800"'];

function jsonString(options: { hostile: boolean }): fc.Arbitrary<string> {
  // U+0000 is left out here because JSON.stringify writes it as \u0000, which jsonb rejects.
  const plain = fc.string({ unit: 'binary', maxLength: 24 }).map((text) => JSON.stringify(text.replaceAll('\u0000', '0')));
  return options.hostile ? fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) }) : plain;
}

function jsonNumber(options: { hostile: boolean }): fc.Arbitrary<string> {
  const ordinary = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  );
  const edges = options.hostile ? [...EDGE_NUMBERS, '1e1000000', '-1e-1000000'] : EDGE_NUMBERS;
  return fc.oneof({ weight: 3, arbitrary: ordinary }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}

/** JSON text with random whitespace, odd keys, repeated keys and literals that JSON.parse would round. */
export function jsonText(options: { hostile: boolean; maxDepth: number }): fc.Arbitrary<string> {
  const key = options.hostile ? fc.oneof(jsonString({ hostile: false }), fc.constantFrom(...ODD_KEYS)) : fc.oneof(jsonString({ hostile: false }), fc.constantFrom(...ODD_KEYS.slice(0, 7)));
  const { value } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof(
      { maxDepth: options.maxDepth, depthIdentifier: 'json' },
      jsonNumber(options),
      jsonString(options),
      fc.constantFrom('true', 'false', 'null'),
      tie('object'),
      tie('array'),
    ),
    object: fc
      .array(fc.tuple(WHITESPACE, key, WHITESPACE, tie('value'), WHITESPACE), { maxLength: 5, depthIdentifier: 'json' })
      .map((members) => `{${members.map(([a, name, b, member, c]) => `${a}${name}${b}:${member}${c}`).join(',')}}`),
    array: fc.array(fc.tuple(WHITESPACE, tie('value')), { maxLength: 5, depthIdentifier: 'json' }).map((items) => `[${items.map(([space, item]) => `${space}${item}`).join(',')}]`),
  }));
  return value;
}

const HEX_KEY = fc.stringMatching(/^[0-9a-f]{32}$/);
/** Valid but unusual keys: any printable ASCII without spaces, up to the 128-character limit. */
const ODD_VALID_KEY = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 128 });
const INVALID_KEY_LITERAL = fc.constantFrom('""', `"${'k'.repeat(129)}"`, '"a b"', '"schlüssel"', '"\\u0000"', '12', 'null', '{}', '["k"]', '"\\ud800"');
const EVENTS = fc.oneof(
  fc.constantFrom('openapi-tts', 'openapi-translate', 'openapi-clone-voice', 'openapi-media-translation'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((text) => text.replaceAll('\u0000', '0')),
);

interface EnvelopeText {
  text: string;
  valid: boolean;
  bigIntegers: Record<string, string>;
}

/**
 * Generates a delivery envelope as JSON text. `clean` envelopes are valid and
 * storable; the others may break any rule of the module or of jsonb.
 */
function envelopeText(keyPool: readonly string[], clean: boolean): fc.Arbitrary<EnvelopeText> {
  const key = clean
    ? fc.oneof({ weight: 6, arbitrary: HEX_KEY }, { weight: 2, arbitrary: ODD_VALID_KEY }, { weight: 1, arbitrary: fc.constantFrom(...keyPool) }).map((value) => JSON.stringify(value))
    : fc.oneof(HEX_KEY.map((value) => JSON.stringify(value)), ODD_VALID_KEY.map((value) => JSON.stringify(value)), INVALID_KEY_LITERAL, fc.constantFrom(...keyPool).map((value) => JSON.stringify(value)));
  const code = clean ? fc.oneof(fc.constant('200'), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String)) : fc.oneof(fc.constant('200'), jsonNumber({ hostile: true }), fc.constantFrom('"200"', 'null', '2147483648'));
  const data = clean ? jsonText({ hostile: false, maxDepth: 3 }).map((text) => `{"taskId":"t","value":${text}}`) : jsonText({ hostile: true, maxDepth: 4 });
  const bigInteger = fc.bigInt({ min: 2n ** 53n, max: 10n ** 30n }).map((value) => value.toString());

  return fc
    .record({
      key,
      event: EVENTS.map((value) => JSON.stringify(value)),
      code,
      data,
      message: fc.option(jsonString({ hostile: !clean })),
      extraData: fc.option(jsonText({ hostile: !clean, maxDepth: 2 })),
      bigInteger,
      extra: fc.array(fc.tuple(fc.constantFrom(...ODD_KEYS.slice(0, 5)), jsonText({ hostile: !clean, maxDepth: 2 })), { maxLength: 2 }),
      drop: clean ? fc.constant<string[]>([]) : fc.subarray(['pipelineKey', 'event', 'code', 'data']),
      space: WHITESPACE,
      order: fc.infiniteStream(fc.nat()),
    })
    .map((fields) => {
      const members: [string, string][] = [
        ['pipelineKey', fields.key],
        ['event', fields.event],
        ['code', fields.code],
        ['data', fields.data],
        ['bigInteger', fields.bigInteger],
      ];
      if (fields.message !== null) {
        members.push(['message', fields.message]);
      }
      if (fields.extraData !== null && (clean ? fields.extraData.startsWith('{') : true)) {
        members.push(['extraData', fields.extraData]);
      }
      for (const [name, value] of fields.extra) {
        members.push([JSON.parse(name) as string, value]);
      }
      const kept = members.filter(([name]) => !fields.drop.includes(name));
      const shuffled = kept.map((member) => ({ member, rank: fields.order.next().value as number })).sort((a, b) => a.rank - b.rank);
      const text = `{${shuffled.map(({ member: [name, value] }) => `${fields.space}${JSON.stringify(name)}${fields.space}:${value}`).join(',')}}`;
      return { text, valid: clean, bigIntegers: { bigInteger: fields.bigInteger } };
    });
}

/** Cuts valid JSON text at a random place, inside a token or between two. */
function truncated(source: fc.Arbitrary<EnvelopeText>): fc.Arbitrary<string> {
  return fc.tuple(source, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([envelope, fraction]) => envelope.text.slice(0, Math.floor(envelope.text.length * fraction)));
}

function deeplyNested(): fc.Arbitrary<string> {
  return fc.tuple(HEX_KEY, fc.constantFrom(50, 1_000, 4_000, 20_000, 45_000), fc.constantFrom('[', '{"a":')).map(([key, depth, opener]) => {
    const closer = opener === '[' ? ']' : '}';
    return `{"pipelineKey":"${key}","event":"openapi-tts","code":200,"data":{"deep":${opener.repeat(depth)}1${closer.repeat(depth)}}}`;
  });
}

interface BodyChoice {
  kind: string;
  bytes: Buffer;
  clean: boolean;
  bigIntegers: Record<string, string>;
}

function bodies(keyPool: readonly string[], bodyLimit: number): fc.Arbitrary<BodyChoice> {
  const fromText = (kind: string, clean: boolean) => (text: string) => ({ kind, bytes: Buffer.from(text, 'utf8'), clean, bigIntegers: {} });
  return fc.oneof(
    { weight: 40, arbitrary: envelopeText(keyPool, true).map((envelope) => ({ kind: 'clean-envelope', bytes: Buffer.from(envelope.text, 'utf8'), clean: true, bigIntegers: envelope.bigIntegers })) },
    { weight: 20, arbitrary: envelopeText(keyPool, false).map((envelope) => ({ kind: 'hostile-envelope', bytes: Buffer.from(envelope.text, 'utf8'), clean: false, bigIntegers: {} })) },
    { weight: 6, arbitrary: jsonText({ hostile: true, maxDepth: 3 }).map(fromText('json-value', false)) },
    { weight: 6, arbitrary: truncated(envelopeText(keyPool, true)).map(fromText('truncated-json', false)) },
    { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'random-bytes', bytes: Buffer.from(bytes), clean: false, bigIntegers: {} })) },
    {
      weight: 4,
      arbitrary: fc.tuple(envelopeText(keyPool, true), fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([envelope, at, byte]) => {
        const bytes = Buffer.from(envelope.text, 'utf8');
        bytes[at % bytes.length] = byte;
        return { kind: 'invalid-utf8', bytes, clean: false, bigIntegers: {} };
      }),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'empty', bytes: Buffer.alloc(0), clean: false, bigIntegers: {} }) },
    { weight: 2, arbitrary: deeplyNested().map(fromText('deep-nesting', false)) },
    {
      weight: 1,
      arbitrary: fc.tuple(HEX_KEY, fc.integer({ min: 1, max: 64 * 1024 })).map(([key, extra]) => ({
        kind: 'oversized',
        bytes: Buffer.from(`{"pipelineKey":"${key}","event":"openapi-tts","code":200,"data":{"padding":"${'x'.repeat(bodyLimit + extra)}"}}`),
        clean: false,
        bigIntegers: {},
      })),
    },
  );
}

const CONTENT_TYPES = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json;charset="UTF-8"',
      'application/vnd.vmeg+json',
      'application/json; charset=latin1',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '',
      'application/json, text/plain',
      'appl\u00e9cation/json',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const SIGNATURE_MODES = fc.oneof(
  { weight: 14, arbitrary: fc.constant<SignatureMode>('valid') },
  { weight: 1, arbitrary: fc.constant<SignatureMode>('valid-uppercase') },
  {
    weight: 10,
    arbitrary: fc.constantFrom<SignatureMode>(
      'wrong-secret',
      'tampered-body',
      'tampered-timestamp',
      'missing-signature',
      'missing-timestamp',
      'repeated-timestamp',
      'repeated-signature',
      'timestamp-in-seconds',
      'stale-timestamp',
      'garbage-signature',
      'garbage-timestamp',
    ),
  },
);

/** Header values that Node's HTTP client would refuse: UTF-8 bytes sent as they are, and control characters. */
// Line breaks become spaces, so that each connection carries exactly one request.
const GARBAGE_VALUES = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }).map((text) => Buffer.from(text, 'utf8').toString('latin1').replace(/[\r\n]/g, ' ')), fc.constantFrom('\u00ff\u00fe', 'a\u0001b', '0x1F', '   ', '-1', '1e12', '١٢٣'));

/**
 * Generates requests for the fuzz run. Several requests share the few keys
 * of `keyPool`, so that duplicates and signed copies with other bodies
 * occur. `bodyLimit` is the adapter's body limit in bytes.
 */
export function fuzzRequests(keyPool: readonly string[], bodyLimit: number, nowMs: number): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      body: bodies(keyPool, bodyLimit),
      signatureMode: SIGNATURE_MODES,
      contentType: CONTENT_TYPES,
      chunkedChoice: fc.integer({ min: 0, max: 9 }),
      garbage: GARBAGE_VALUES,
      flipAt: fc.nat(),
    })
    .map(({ body, signatureMode, contentType, chunkedChoice, garbage, flipAt }) => {
      const chunked = chunkedChoice === 0;
      const timestamp = String(nowMs);
      const signed = signVmegRequest(TEST_SECRET, body.bytes, nowMs);
      let sentBody = body.bytes;
      const headers: RawHeader[] = [];
      let signature: string | undefined = signed['X-Signature'];
      let sentTimestamp: string | undefined = timestamp;

      switch (signatureMode) {
        case 'valid':
          break;
        case 'valid-uppercase':
          signature = signature.toUpperCase();
          break;
        case 'wrong-secret':
          signature = signVmegRequest(`${TEST_SECRET}-other`, body.bytes, nowMs)['X-Signature'];
          break;
        case 'tampered-body':
          sentBody = Buffer.from(body.bytes);
          if (sentBody.length === 0) {
            sentBody = Buffer.from(' ');
          } else {
            sentBody[flipAt % sentBody.length] ^= 1 << flipAt % 8;
          }
          break;
        case 'tampered-timestamp':
          sentTimestamp = String(nowMs + 1 + (flipAt % 1000));
          break;
        case 'missing-signature':
          signature = undefined;
          break;
        case 'missing-timestamp':
          sentTimestamp = undefined;
          break;
        case 'repeated-timestamp':
          headers.push(['X-Timestamp', timestamp]);
          break;
        case 'repeated-signature':
          headers.push(['X-Signature', signature]);
          break;
        case 'timestamp-in-seconds': {
          sentTimestamp = String(Math.floor(nowMs / 1000));
          signature = signVmegRequest(TEST_SECRET, body.bytes, Number(sentTimestamp))['X-Signature'];
          break;
        }
        case 'stale-timestamp': {
          sentTimestamp = String(nowMs - 3_600_000);
          signature = signVmegRequest(TEST_SECRET, body.bytes, Number(sentTimestamp))['X-Signature'];
          break;
        }
        case 'garbage-signature':
          signature = garbage;
          break;
        case 'garbage-timestamp':
          sentTimestamp = garbage;
          break;
      }

      if (sentTimestamp !== undefined) {
        headers.push(['X-Timestamp', sentTimestamp]);
      }
      if (signature !== undefined) {
        headers.push(['X-Signature', signature]);
      }
      if (contentType !== undefined) {
        headers.push(['Content-Type', contentType]);
      }

      let wireBody = sentBody;
      if (chunked) {
        headers.push(['Transfer-Encoding', 'chunked']);
        wireBody = sentBody.length === 0 ? Buffer.from('0\r\n\r\n') : Buffer.concat([Buffer.from(`${sentBody.length.toString(16)}\r\n`), sentBody, Buffer.from('\r\n0\r\n\r\n')]);
      } else {
        headers.push(['Content-Length', String(sentBody.length)]);
      }

      const validlySigned = signatureMode === 'valid' || signatureMode === 'valid-uppercase';
      return {
        bodyKind: body.kind,
        signatureMode,
        contentType,
        chunked,
        body: sentBody,
        headers,
        wireBody,
        mustBeAccepted: validlySigned && body.clean && contentType === 'application/json',
        bigIntegers: body.bigIntegers,
      };
    });
}
