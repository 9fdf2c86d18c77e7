import { Injectable } from '@nestjs/common';
import type { VmegWebhookPayload } from '../payload';
import type { VmegHandlerContext } from './vmeg-handler-context';

/** One `@OnVmegEvent` method bound to its provider instance. */
export interface RegisteredVmegHandler {
  /** `ClassName.methodName`, or the `id` given to the decorator. */
  key: string;
  /** Event names, or `'*'` for every delivery. */
  events: ReadonlySet<string>;
  invoke(payload: VmegWebhookPayload, context: VmegHandlerContext): Promise<unknown>;
}

/** The handlers found at start-up, looked up by event name. */
@Injectable()
export class VmegHandlerRegistry {
  private readonly handlers: RegisteredVmegHandler[] = [];

  register(handler: RegisteredVmegHandler): void {
    if (this.handlers.some((known) => known.key === handler.key)) {
      throw new Error(`Two @OnVmegEvent handlers have the key "${handler.key}"; give one of them a unique { id }`);
    }
    this.handlers.push(handler);
  }

  /** Returns the handlers of `event`, including `'*'` handlers, in registration order. */
  handlersFor(event: string): RegisteredVmegHandler[] {
    return this.handlers.filter((handler) => handler.events.has(event) || handler.events.has('*'));
  }

  all(): readonly RegisteredVmegHandler[] {
    return this.handlers;
  }
}
