import { Injectable } from '@nestjs/common';
import { OnVmegEvent, type VmegHandlerContext, type VmegWebhookPayload } from '../index';

/**
 * Behaviour of `DemoScriptedHandler` for one delivery, read from
 * `extraData.demoScript`:
 * - `slow`: waits `SLOW_HANDLER_MS`, then succeeds.
 * - `fail-twice`: throws on attempts 1 and 2, succeeds on attempt 3.
 * - `fail-until-fixed`: throws until `fixed` is set to true.
 */
export type DemoScript = 'slow' | 'fail-twice' | 'fail-until-fixed';

const DEMO_SCRIPTS: readonly DemoScript[] = ['slow', 'fail-twice', 'fail-until-fixed'];

/** Key in `extraData` that selects a `DemoScript`. */
export const DEMO_SCRIPT_KEY = 'demoScript';

/** Run time of the `slow` script in ms. */
export const SLOW_HANDLER_MS = 3000;

/** Stored name of the handler, in `vmeg_webhook_handler_runs` and `last_error`. */
export const DEMO_SCRIPTED_HANDLER_ID = 'demo.scripted';

/** One call of `DemoScriptedHandler.run` on a scripted delivery. */
export interface DemoScriptedCall {
  pipelineKey: string;
  script: DemoScript;
  attempt: number;
  result: 'succeeded' | 'failed';
  /** `performance.now()` when the call returned or threw. */
  finishedAt: number;
}

/**
 * A handler that only `npm run demo` registers, to show the queued mode:
 * a slow handler, retries and a dead delivery that is replayed after a fix.
 * It ignores every delivery whose `extraData` has no `demoScript`, so the
 * example's own `DubbingService` handlers behave as they do in `npm start`.
 */
@Injectable()
export class DemoScriptedHandler {
  /** Whether the `fail-until-fixed` script succeeds. The demo sets it to stand for a deployed fix. */
  fixed = false;

  /** Every call on a scripted delivery since start, including failed ones. */
  readonly calls: DemoScriptedCall[] = [];

  @OnVmegEvent('openapi-tts', { id: DEMO_SCRIPTED_HANDLER_ID })
  async run(payload: VmegWebhookPayload<'openapi-tts'>, context: VmegHandlerContext): Promise<void> {
    const script = readScript(payload);
    if (script === undefined) {
      return;
    }

    try {
      await this.follow(script, context.attempt);
    } catch (error) {
      this.record(payload.pipelineKey, script, context.attempt, 'failed');
      throw error;
    }
    this.record(payload.pipelineKey, script, context.attempt, 'succeeded');
  }

  /** Returns the calls for one delivery as `attempt result` items, such as `1 failed, 2 succeeded`. */
  describeCalls(pipelineKey: string): string {
    const calls = this.calls.filter((call) => call.pipelineKey === pipelineKey);
    return calls.length === 0 ? 'none' : calls.map((call) => `${call.attempt} ${call.result}`).join(', ');
  }

  private async follow(script: DemoScript, attempt: number): Promise<void> {
    switch (script) {
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, SLOW_HANDLER_MS));
        return;
      case 'fail-twice':
        if (attempt <= 2) {
          throw new Error(`scripted failure on attempt ${attempt}; the script succeeds from attempt 3`);
        }
        return;
      case 'fail-until-fixed':
        if (!this.fixed) {
          throw new Error(`scripted failure on attempt ${attempt}; the script fails until the demo sets fixed = true`);
        }
        return;
    }
  }

  private record(pipelineKey: string, script: DemoScript, attempt: number, result: DemoScriptedCall['result']): void {
    this.calls.push({ pipelineKey, script, attempt, result, finishedAt: performance.now() });
  }
}

function readScript(payload: VmegWebhookPayload<'openapi-tts'>): DemoScript | undefined {
  const value = payload.extraData?.[DEMO_SCRIPT_KEY];
  if (value === undefined) {
    return undefined;
  }
  if (!(DEMO_SCRIPTS as readonly unknown[]).includes(value)) {
    throw new Error(`Invalid extraData.${DEMO_SCRIPT_KEY} ${JSON.stringify(value)}: expected one of ${DEMO_SCRIPTS.join(', ')}`);
  }
  return value as DemoScript;
}
