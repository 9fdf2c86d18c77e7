import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { VMEG_EVENTS, type VmegEvent } from '../lib/payload/vmeg-event';
import {
  buildCloneVoicePayload,
  buildFailedCloneVoicePayload,
  buildFailedMediaTranslationPayload,
  buildFailedTranslatePayload,
  buildFailedTtsPayload,
  buildMediaTranslationPayload,
  buildTranslatePayload,
  buildTtsPayload,
} from '../testing/payload-builders';
import { CliError } from './errors';

/** One delivery to send: the exact body bytes, and the envelope fields shown in the output. */
export interface DeliveryBody {
  bytes: Buffer;
  event: string | undefined;
  pipelineKey: string | undefined;
}

/** Source of the body: a sample payload, a file, or standard input. */
export type BodySource = { kind: 'event'; event: VmegEvent; failed: boolean } | { kind: 'file'; path: string } | { kind: 'stdin' };

export const EVENT_NAMES: readonly string[] = VMEG_EVENTS;

const SAMPLE_BUILDERS: Record<VmegEvent, { succeeded: () => object; failed: () => object }> = {
  'openapi-tts': { succeeded: buildTtsPayload, failed: buildFailedTtsPayload },
  'openapi-translate': { succeeded: buildTranslatePayload, failed: buildFailedTranslatePayload },
  'openapi-clone-voice': { succeeded: buildCloneVoicePayload, failed: buildFailedCloneVoicePayload },
  'openapi-media-translation': { succeeded: buildMediaTranslationPayload, failed: buildFailedMediaTranslationPayload },
};

/**
 * Builds `count` distinct deliveries. A sample payload gets a new random
 * `pipelineKey` each time. A file or standard input is sent byte for byte
 * when `count` is 1. For a larger count it must be a JSON object, and each
 * copy gets a new random `pipelineKey` and is serialized again with
 * `JSON.stringify`.
 */
export async function buildDeliveryBodies(source: BodySource, count: number): Promise<DeliveryBody[]> {
  if (source.kind === 'event') {
    const builder = SAMPLE_BUILDERS[source.event];
    return Array.from({ length: count }, () => toDeliveryBody(JSON.stringify(source.failed ? builder.failed() : builder.succeeded())));
  }

  const bytes = source.kind === 'file' ? await readBodyFile(source.path) : await readStandardInput();
  if (count === 1) {
    return [toDeliveryBody(bytes)];
  }

  const name = source.kind === 'file' ? source.path : 'standard input';
  const template = parseJsonObject(bytes, name);
  return Array.from({ length: count }, () => toDeliveryBody(JSON.stringify({ ...template, pipelineKey: randomBytes(16).toString('hex') })));
}

async function readBodyFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String((error as Error).message);
    throw new CliError(`cannot read the body file ${path}: ${reason}`);
  }
}

async function readStandardInput(): Promise<Buffer> {
  if (process.stdin.isTTY) {
    throw new CliError('"-" reads the body from standard input, but standard input is a terminal: pipe a file into it, such as "vmeg-webhook send - < body.json"');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  }
  return Buffer.concat(chunks);
}

function parseJsonObject(bytes: Buffer, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CliError(`--count above 1 needs a JSON object body, because each copy gets its own pipelineKey, but ${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`--count above 1 needs a JSON object body, because each copy gets its own pipelineKey, but ${name} is not an object`);
  }
  return value as Record<string, unknown>;
}

/** Reads `event` and `pipelineKey` from the body for the output, if it is a JSON object. */
function toDeliveryBody(body: string | Buffer): DeliveryBody {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  let envelope: { event?: unknown; pipelineKey?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null) {
      envelope = parsed as typeof envelope;
    }
  } catch {
    // A body that is not JSON is still sent, because the endpoint's response to it is what the user tests.
  }

  return {
    bytes,
    event: typeof envelope.event === 'string' ? envelope.event : undefined,
    pipelineKey: typeof envelope.pipelineKey === 'string' ? envelope.pipelineKey : undefined,
  };
}
