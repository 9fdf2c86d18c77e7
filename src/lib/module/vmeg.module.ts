import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DELIVERY_DISPATCHER } from '../dispatch/delivery-dispatcher';
import { InlineDispatcher } from '../dispatch/inline-dispatcher';
import { QueuedDispatcher } from '../dispatch/queued-dispatcher';
import { VmegHandlerExplorer } from '../handlers/vmeg-handler-explorer';
import { VmegHandlerRegistry } from '../handlers/vmeg-handler-registry';
import { VmegSignatureGuard } from '../signature/vmeg-signature.guard';
import { VmegMetrics } from '../metrics/vmeg-metrics';
import { DeliveryWorker } from '../queue/delivery-worker';
import { VmegInbox } from '../queue/vmeg-inbox.service';
import { VmegDeliveryStore } from '../store/vmeg-delivery-store';
import { VmegQueueStore } from '../store/vmeg-queue-store';
import { VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import { ConfigurableVmegModule, VMEG_MODULE_OPTIONS } from './vmeg.module-definition';
import { resolveVmegOptions } from './resolve-vmeg-options';
import type { ResolvedVmegOptions } from './vmeg-module-options';

/**
 * Receives VMEG webhooks: verifies their signature, stores each delivery once
 * in PostgreSQL and runs the `@OnVmegEvent` handlers. Import it once, with
 * `forRoot` or `forRootAsync`; it is global.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: VMEG_RESOLVED_OPTIONS,
      useFactory: resolveVmegOptions,
      inject: [VMEG_MODULE_OPTIONS],
    },
    VmegHandlerRegistry,
    VmegHandlerExplorer,
    VmegDeliveryStore,
    VmegQueueStore,
    InlineDispatcher,
    QueuedDispatcher,
    {
      provide: DELIVERY_DISPATCHER,
      useFactory: (options: ResolvedVmegOptions, inline: InlineDispatcher, queued: QueuedDispatcher) =>
        options.dispatch === 'inline' ? inline : queued,
      inject: [VMEG_RESOLVED_OPTIONS, InlineDispatcher, QueuedDispatcher],
    },
    VmegInbox,
    VmegMetrics,
    DeliveryWorker,
    VmegSignatureGuard,
  ],
  exports: [VMEG_RESOLVED_OPTIONS, VmegSignatureGuard, DELIVERY_DISPATCHER, VmegDeliveryStore, VmegHandlerRegistry, VmegInbox, VmegMetrics],
})
export class VmegModule extends ConfigurableVmegModule {}
