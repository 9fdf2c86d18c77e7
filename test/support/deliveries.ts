import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { signVmegRequest } from '../../src';
import { TEST_SECRET } from './test-app';

export const WEBHOOK_PATH = '/webhooks/vmeg';

export function newPipelineKey(): string {
  return randomBytes(16).toString('hex');
}

/** Builds a minimal TTS delivery body; `overrides` replaces top-level fields. */
export function ttsBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    code: 200,
    version: 'v1',
    event: 'openapi-tts',
    pipelineKey: newPipelineKey(),
    message: '',
    extraData: { orderId: 'order-1' },
    data: {
      taskId: `task-${randomBytes(4).toString('hex')}`,
      results: [{ uri: 'https://cdn.example.com/tts/1.mp3', duration: 2.5, errorMessage: '' }],
      createdAt: '2026-12-04T10:00:00Z',
    },
    ...overrides,
  };
}

export interface SendOptions {
  secret?: string;
  timestampMs?: number;
  path?: string;
  headers?: Record<string, string>;
  contentType?: string;
}

/** POSTs `body` (an object is serialized once, and those exact bytes are signed and sent). */
export function sendSigned(baseUrl: string, body: string | Buffer | object, options: SendOptions = {}): request.Test {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const signature = signVmegRequest(options.secret ?? TEST_SECRET, bytes, options.timestampMs);

  return request(baseUrl)
    .post(options.path ?? WEBHOOK_PATH)
    .set('Content-Type', options.contentType ?? 'application/json')
    .set(signature)
    .set(options.headers ?? {})
    .serialize((data: unknown) => data as string) // superagent would JSON-encode a Buffer; send its bytes as they are.
    .send(bytes);
}
