import type { VmegEvent } from '../payload';

/** Metadata key under which `@OnVmegEvent` stores its subscriptions on a method. */
export const VMEG_HANDLER_METADATA = 'nestjs-vmeg:handler';

/** `'*'` subscribes to every delivery, including events that VMEG adds later. */
export type VmegEventSelector = VmegEvent | '*' | readonly (VmegEvent | '*')[];

export interface OnVmegEventOptions {
  /**
   * Stable name of the handler, stored with the delivery's outcome. Default
   * `ClassName.methodName`; set it to keep the name across a rename.
   */
  id?: string;
}

export interface VmegHandlerSubscription {
  events: readonly string[];
  id?: string;
}

/**
 * Marks a provider method as a handler of VMEG deliveries. The method gets
 * `(payload, context)`. Several handlers may subscribe to one event, and one
 * method may carry several `@OnVmegEvent` decorators.
 */
export function OnVmegEvent(event: VmegEventSelector, options: OnVmegEventOptions = {}): MethodDecorator {
  const events: readonly string[] = typeof event === 'string' ? [event] : event;

  if (!Array.isArray(events) || events.length === 0 || events.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new TypeError('@OnVmegEvent expects an event name, an array of event names or "*"');
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id.length === 0)) {
    throw new TypeError('@OnVmegEvent option "id" must be a non-empty string');
  }

  return (_target, _propertyKey, descriptor) => {
    const method = descriptor.value as object;
    const existing: VmegHandlerSubscription[] = Reflect.getMetadata(VMEG_HANDLER_METADATA, method) ?? [];
    Reflect.defineMetadata(VMEG_HANDLER_METADATA, [...existing, { events: [...events], id: options.id }], method);
    return descriptor;
  };
}
