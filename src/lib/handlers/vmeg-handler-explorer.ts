import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { VMEG_HANDLER_METADATA, type VmegHandlerSubscription } from './on-vmeg-event.decorator';
import { VmegHandlerRegistry } from './vmeg-handler-registry';

/**
 * Finds the `@OnVmegEvent` methods of every provider and controller once, at
 * module initialisation, and registers them. Handlers on request-scoped
 * providers are rejected, because a webhook delivery has no request scope of
 * the host app's own to resolve them in.
 */
@Injectable()
export class VmegHandlerExplorer implements OnModuleInit {
  private readonly logger = new Logger('VmegHandlers');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: VmegHandlerRegistry,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];

    for (const wrapper of wrappers) {
      this.registerHandlersOf(wrapper);
    }

    this.logger.log(`Registered ${this.registry.all().length} @OnVmegEvent handler(s)`);
  }

  private registerHandlersOf(wrapper: InstanceWrapper): void {
    const prototype = wrapper.metatype?.prototype as object | undefined;
    if (!prototype || wrapper.isAlias) {
      return;
    }

    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[methodName];
      const subscriptions: VmegHandlerSubscription[] | undefined = Reflect.getMetadata(VMEG_HANDLER_METADATA, method as object);
      if (!subscriptions) {
        continue;
      }

      const className = wrapper.metatype?.name ?? wrapper.name;
      if (!wrapper.isDependencyTreeStatic()) {
        throw new Error(
          `@OnVmegEvent handler ${className}.${methodName} is on a request-scoped provider (or one that depends on one); ` +
            'move the handler to a singleton provider, because deliveries are not resolved per request',
        );
      }

      const instance = wrapper.instance as Record<string, (...args: unknown[]) => unknown>;
      const ids = new Set(subscriptions.map((subscription) => subscription.id).filter((id) => id !== undefined));
      if (ids.size > 1) {
        throw new Error(`@OnVmegEvent handler ${className}.${methodName} has different ids: ${[...ids].join(', ')}`);
      }

      this.registry.register({
        key: [...ids][0] ?? `${className}.${methodName}`,
        events: new Set(subscriptions.flatMap((subscription) => subscription.events)),
        invoke: async (payload, context) => instance[methodName].call(instance, payload, context),
      });
    }
  }
}
