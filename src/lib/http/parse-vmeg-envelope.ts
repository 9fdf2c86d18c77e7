import type { VmegWebhookPayload } from '../payload';

/** Maximum length of `pipelineKey` and `event`, the width of their columns. */
export const MAX_KEY_LENGTH = 128;

/** Printable ASCII without spaces; VMEG's keys are 32 hexadecimal digits. */
const PIPELINE_KEY_PATTERN = /^[\x21-\x7e]+$/;

/** A verified body that is valid JSON and a valid VMEG envelope. */
export interface ParsedVmegEnvelope {
  payload: VmegWebhookPayload;
  /** The body decoded as UTF-8, exactly as received. */
  json: string;
  taskId: string | null;
}

/** The body is not a VMEG envelope; the message names the field. */
export class InvalidEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEnvelopeError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses and validates a verified request body. Only the fields the module
 * relies on are checked; every other field, known or not, is kept as sent.
 * Throws `InvalidEnvelopeError` with a message that names the problem.
 */
export function parseVmegEnvelope(rawBody: Buffer): ParsedVmegEnvelope {
  if (rawBody.length === 0) {
    throw new InvalidEnvelopeError('request body is empty; expected a JSON object');
  }

  let json: string;
  try {
    json = utf8.decode(rawBody);
  } catch {
    throw new InvalidEnvelopeError('request body is not valid UTF-8');
  }

  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'nesting too deep';
    throw new InvalidEnvelopeError(`request body is not valid JSON: ${detail}`);
  }

  if (!isPlainObject(body)) {
    throw new InvalidEnvelopeError(`request body must be a JSON object, got ${describeJson(body)}`);
  }

  validatePipelineKey(body.pipelineKey);
  validateEvent(body.event);

  if (typeof body.code !== 'number' || !Number.isSafeInteger(body.code)) {
    const got = typeof body.code === 'number' ? 'a fractional or out-of-range number' : describeJson(body.code);
    throw new InvalidEnvelopeError(`"code" must be an integer, got ${got}`);
  }
  if (!isPlainObject(body.data)) {
    throw new InvalidEnvelopeError(`"data" must be a JSON object, got ${describeJson(body.data)}`);
  }
  validateOptional(body, 'version', 'string');
  validateOptional(body, 'message', 'string');
  validateOptional(body, 'extraData', 'object');

  const taskId = body.data.taskId;
  return {
    payload: body as unknown as VmegWebhookPayload,
    json,
    taskId: typeof taskId === 'string' && taskId.length <= MAX_KEY_LENGTH ? taskId : null,
  };
}

function validatePipelineKey(value: unknown): void {
  if (value === undefined) {
    throw new InvalidEnvelopeError('"pipelineKey" is missing');
  }
  if (typeof value !== 'string') {
    throw new InvalidEnvelopeError(`"pipelineKey" must be a string, got ${describeJson(value)}`);
  }
  if (value.length === 0 || value.length > MAX_KEY_LENGTH || !PIPELINE_KEY_PATTERN.test(value)) {
    throw new InvalidEnvelopeError(`"pipelineKey" must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces`);
  }
}

function validateEvent(value: unknown): void {
  if (value === undefined) {
    throw new InvalidEnvelopeError('"event" is missing');
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new InvalidEnvelopeError(`"event" must be a non-empty string of at most ${MAX_KEY_LENGTH} characters, got ${describeJson(value)}`);
  }
}

/** Optional envelope fields may be absent or null; when present they must have their type. */
function validateOptional(body: Record<string, unknown>, field: string, type: 'string' | 'object'): void {
  const value = body[field];
  if (value === undefined || value === null) {
    return;
  }
  const valid = type === 'object' ? isPlainObject(value) : typeof value === type;
  if (!valid) {
    throw new InvalidEnvelopeError(`"${field}" must be a JSON ${type}, got ${describeJson(value)}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names a JSON value's type without echoing its contents. */
function describeJson(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
