import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InlineDispatcher } from '../dispatch/inline-dispatcher';
import { VmegHandlerExplorer } from '../handlers/vmeg-handler-explorer';
import { VmegHandlerRegistry } from '../handlers/vmeg-handler-registry';
import { VmegSignatureGuard } from '../signature/vmeg-signature.guard';
import { VmegDeliveryStore } from '../store/vmeg-delivery-store';
import { VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import { ConfigurableVmegModule, VMEG_MODULE_OPTIONS } from './vmeg.module-definition';
import { resolveVmegOptions } from './resolve-vmeg-options';

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
    InlineDispatcher,
    VmegSignatureGuard,
  ],
  exports: [VMEG_RESOLVED_OPTIONS, VmegSignatureGuard, InlineDispatcher, VmegDeliveryStore, VmegHandlerRegistry],
})
export class VmegModule extends ConfigurableVmegModule {}
