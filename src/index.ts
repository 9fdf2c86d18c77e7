export { VmegModule } from './lib/module/vmeg.module';
export { VMEG_MODULE_OPTIONS, type VmegOptionsFactory } from './lib/module/vmeg.module-definition';
export type { VmegDispatchMode, VmegModuleExtras, VmegModuleOptions, VmegWorkerOptions, ResolvedVmegOptions } from './lib/module/vmeg-module-options';
export { InvalidVmegOptionsError } from './lib/module/resolve-vmeg-options';
export { VMEG_RESOLVED_OPTIONS, DEFAULT_WEBHOOK_PATH, DEFAULT_TOLERANCE_SECONDS, DEFAULT_LOCK_TIMEOUT_MS } from './lib/vmeg.constants';

export { OnVmegEvent, type OnVmegEventOptions, type VmegEventSelector } from './lib/handlers/on-vmeg-event.decorator';
export type { VmegHandlerContext } from './lib/handlers/vmeg-handler-context';

export { VmegWebhookController, type VmegDeliveryAcknowledgement } from './lib/http/vmeg-webhook.controller';
export { VmegSignatureGuard } from './lib/signature/vmeg-signature.guard';
export { signVmegRequest, type VmegSignatureHeaders } from './lib/signature/sign-vmeg-request';
export { verifyVmegSignature, type VmegSignatureCheck, type VmegSignatureFailure, type VmegSignatureInput } from './lib/signature/verify-vmeg-signature';

export {
  vmegEntities,
  vmegMigrations,
  VmegWebhookDelivery,
  VmegWebhookHandlerRun,
  CreateVmegWebhookDeliveries1764806400000,
  AddVmegDeliveryQueue1764892800000,
  type VmegDeliveryStatus,
} from './lib/store';
export { VmegInbox, InboxDrainTimeoutError, type VmegDeliverySummary, type VmegDeliveryDetails } from './lib/queue/vmeg-inbox.service';
export type { DispatchOutcome } from './lib/dispatch/delivery-dispatcher';

export * from './lib/payload';
