import { Injectable } from '@nestjs/common';
import { OnVmegEvent, type VmegHandlerContext, type VmegWebhookPayload } from '../../../src';

/** What the handler does for one pipelineKey. */
export interface HandlerPlan {
  /** Values thrown by the first calls, one per call, before the handler succeeds. */
  throws?: unknown[];
  /**
   * Pauses the first call after it wrote its effect: `started` gets the
   * PostgreSQL backend PID of the handler's transaction, and the call waits
   * until `release()` (at most 30 s). With `queryAfterRelease`, it runs one
   * more statement afterwards.
   */
  pause?: { queryAfterRelease: boolean };
  /** Makes the first call run `pg_sleep` for this many seconds, a statement that outlasts a time-out. */
  sleepSeconds?: number;
  /**
   * Makes the first calls run a statement that fails (division by zero) and
   * catch its error, one call per count, then return as if they succeeded.
   */
  catchDatabaseError?: number;
  /** Makes the first call run that failing statement inside `context.manager.transaction`, a savepoint, and catch its error. */
  recoverFromDatabaseError?: boolean;
  /** Makes the first call start that failing statement without waiting for it, then return. */
  unawaitedDatabaseError?: boolean;
  /**
   * Makes the first call catch that failing statement, then try a savepoint,
   * which fails too and makes TypeORM roll the whole transaction back, and
   * catch that as well before it returns.
   */
  rollBackWholeTransaction?: boolean;
}

interface Pause {
  started: Promise<number>;
  release(): void;
}

/**
 * An `openapi-tts` handler steered per pipelineKey by `plan()`. Every call
 * first writes one `handler_effects` row through the delivery's transaction,
 * so the table shows which calls committed.
 */
@Injectable()
export class ControlledHandlers {
  readonly calls: { pipelineKey: string; attempt: number }[] = [];
  private readonly plans = new Map<string, HandlerPlan>();
  private readonly pauses = new Map<string, { started: (pid: number) => void; released: Promise<void> }>();

  /** Sets the plan of `pipelineKey` and returns its pause handle, which only a plan with `pause` uses. */
  plan(pipelineKey: string, plan: HandlerPlan): Pause {
    this.plans.set(pipelineKey, { ...plan, throws: [...(plan.throws ?? [])] });
    let started!: (pid: number) => void;
    let release!: () => void;
    const startedPromise = new Promise<number>((resolve) => (started = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.pauses.set(pipelineKey, { started, released });
    return { started: startedPromise, release };
  }

  callsOf(pipelineKey: string): number {
    return this.calls.filter((call) => call.pipelineKey === pipelineKey).length;
  }

  @OnVmegEvent('openapi-tts')
  async onSpeech(payload: VmegWebhookPayload<'openapi-tts'>, context: VmegHandlerContext): Promise<void> {
    const key = payload.pipelineKey;
    const firstCall = this.callsOf(key) === 0;
    this.calls.push({ pipelineKey: key, attempt: context.attempt });

    await context.manager.query('INSERT INTO handler_effects (pipeline_key, handler, attempt) VALUES ($1, $2, $3)', [key, 'onSpeech', context.attempt]);

    const plan = this.plans.get(key);
    const pause = this.pauses.get(key);
    if (plan?.pause && pause && firstCall) {
      const [{ pid }] = await context.manager.query('SELECT pg_backend_pid() AS pid');
      pause.started(pid);
      await Promise.race([pause.released, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      if (plan.pause.queryAfterRelease) {
        await context.manager.query('SELECT 1');
      }
    }

    if (plan?.sleepSeconds !== undefined && firstCall) {
      await context.manager.query('SELECT pg_sleep($1)', [plan.sleepSeconds]);
    }

    if (plan?.catchDatabaseError !== undefined && plan.catchDatabaseError > 0) {
      plan.catchDatabaseError -= 1;
      try {
        await context.manager.query('SELECT 1 / 0');
      } catch {
        // The handler under test ignores the error; PostgreSQL has aborted the transaction.
      }
    }

    if (plan?.unawaitedDatabaseError && firstCall) {
      // The handler under test does not await the statement. The catch only keeps the rejection handled.
      void context.manager.query('SELECT 1 / 0').catch(() => undefined);
    }

    if (plan?.rollBackWholeTransaction && firstCall) {
      await context.manager.query('SELECT 1 / 0').catch(() => undefined);
      await context.manager.transaction((manager) => manager.query('SELECT 1')).catch(() => undefined);
    }

    if (plan?.recoverFromDatabaseError && firstCall) {
      try {
        await context.manager.transaction((manager) => manager.query('SELECT 1 / 0'));
      } catch {
        // Rolled back to the savepoint, so the delivery's transaction goes on.
      }
    }

    if (plan?.throws && plan.throws.length > 0) {
      throw plan.throws.shift();
    }
  }
}
