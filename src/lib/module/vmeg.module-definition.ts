import { ConfigurableModuleBuilder, Controller, type Type } from '@nestjs/common';
import { VmegWebhookController } from '../http/vmeg-webhook.controller';
import { DEFAULT_WEBHOOK_PATH } from '../vmeg.constants';
import { resolveWebhookPath } from './resolve-vmeg-options';
import type { VmegModuleExtras, VmegModuleOptions } from './vmeg-module-options';

/** Implemented by a class given to `VmegModule.forRootAsync({ useClass })` or `useExisting`. */
export interface VmegOptionsFactory {
  createVmegOptions(): VmegModuleOptions | Promise<VmegModuleOptions>;
}

export const {
  ConfigurableModuleClass: ConfigurableVmegModule,
  MODULE_OPTIONS_TOKEN: VMEG_MODULE_OPTIONS,
  OPTIONS_TYPE: VMEG_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: VMEG_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<VmegModuleOptions>({ moduleName: 'Vmeg' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createVmegOptions')
  .setExtras<VmegModuleExtras>({ path: DEFAULT_WEBHOOK_PATH }, (definition, extras) => {
    const path = resolveWebhookPath(extras.path, DEFAULT_WEBHOOK_PATH);
    return {
      ...definition,
      global: true,
      controllers: path === null ? [] : [mountWebhookController(path)],
    };
  })
  .build();

/**
 * Declares a subclass of `VmegWebhookController` routed at `path`. The route
 * is set by Nest's own `@Controller` decorator, on a class of its own, so
 * that the exported controller class keeps no route.
 */
function mountWebhookController(path: string): Type<VmegWebhookController> {
  class VmegWebhookRouteController extends VmegWebhookController {}
  Controller(path)(VmegWebhookRouteController);
  return VmegWebhookRouteController;
}
