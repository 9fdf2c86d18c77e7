import { Injectable } from '@nestjs/common';
import { OnVmegEvent, type VmegHandlerContext, type VmegWebhookPayload } from '../../src';

/** One handler call, as the handler saw it. */
export interface RecordedCall {
  handler: string;
  pipelineKey: string;
  event: string;
  attempt: number;
  /** Date.now() when the handler started. */
  startedAt: number;
}

/**
 * Test handlers that record each call and write one row per call to
 * `handler_effects` through the delivery's transaction, so a test can see
 * whether a handler's writes committed or rolled back. `failTimes` and
 * `delayMs` steer them per pipelineKey; `onEvery` ignores both.
 */
@Injectable()
export class RecordingHandlers {
  readonly calls: RecordedCall[] = [];
  readonly failTimes = new Map<string, number>();
  readonly delayMs = new Map<string, number>();
  /** Value thrown instead of an Error, to test non-Error rejections. */
  throwValue: unknown = undefined;

  @OnVmegEvent('openapi-tts')
  async onSpeech(payload: VmegWebhookPayload<'openapi-tts'>, context: VmegHandlerContext): Promise<void> {
    await this.record('onSpeech', payload, context);
  }

  @OnVmegEvent(['openapi-translate', 'openapi-clone-voice'])
  async onTextOrVoice(payload: VmegWebhookPayload<'openapi-translate' | 'openapi-clone-voice'>, context: VmegHandlerContext): Promise<void> {
    await this.record('onTextOrVoice', payload, context);
  }

  @OnVmegEvent('openapi-media-translation')
  async onMedia(payload: VmegWebhookPayload<'openapi-media-translation'>, context: VmegHandlerContext): Promise<void> {
    await this.record('onMedia', payload, context);
  }

  @OnVmegEvent('*')
  async onEvery(payload: VmegWebhookPayload, context: VmegHandlerContext): Promise<void> {
    await this.record('onEvery', payload, context);
  }

  callsOf(pipelineKey: string, handler?: string): RecordedCall[] {
    return this.calls.filter((call) => call.pipelineKey === pipelineKey && (handler === undefined || call.handler === handler));
  }

  callTimes(pipelineKey: string, handler: string): number[] {
    return this.callsOf(pipelineKey, handler).map((call) => call.startedAt);
  }

  private async record(handler: string, payload: VmegWebhookPayload, context: VmegHandlerContext): Promise<void> {
    this.calls.push({ handler, pipelineKey: payload.pipelineKey, event: payload.event, attempt: context.attempt, startedAt: Date.now() });

    await context.manager.query('INSERT INTO handler_effects (pipeline_key, handler, attempt) VALUES ($1, $2, $3)', [
      payload.pipelineKey,
      handler,
      context.attempt,
    ]);

    const delay = this.delayMs.get(payload.pipelineKey);
    if (delay !== undefined && handler !== 'onEvery') {
      await new Promise((resolve) => setTimeout(resolve, delay));
    }

    const remaining = this.failTimes.get(payload.pipelineKey) ?? 0;
    if (remaining > 0 && handler !== 'onEvery') {
      this.failTimes.set(payload.pipelineKey, remaining - 1);
      if (this.throwValue !== undefined) {
        throw this.throwValue;
      }
      throw new Error(`planned failure of ${handler}`);
    }
  }
}

export const HANDLER_EFFECTS_TABLE = `
  CREATE TABLE IF NOT EXISTS handler_effects (
    id bigserial PRIMARY KEY,
    pipeline_key text NOT NULL,
    handler text NOT NULL,
    attempt integer NOT NULL
  )`;
