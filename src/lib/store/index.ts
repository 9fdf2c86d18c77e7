import { CreateVmegWebhookDeliveries1764806400000 } from './migrations/1764806400000-create-vmeg-webhook-deliveries';
import { AddVmegDeliveryQueue1764892800000 } from './migrations/1764892800000-add-vmeg-delivery-queue';
import { VmegWebhookDelivery } from './vmeg-webhook-delivery.entity';
import { VmegWebhookHandlerRun } from './vmeg-webhook-handler-run.entity';

/** Entity classes to add to the app's TypeORM `entities`. */
export const vmegEntities = [VmegWebhookDelivery, VmegWebhookHandlerRun];

/** Migration classes to add to the app's TypeORM `migrations`, in the order they run. */
export const vmegMigrations = [CreateVmegWebhookDeliveries1764806400000, AddVmegDeliveryQueue1764892800000];

export { AddVmegDeliveryQueue1764892800000, CreateVmegWebhookDeliveries1764806400000, VmegWebhookDelivery, VmegWebhookHandlerRun };
export type { VmegDeliveryStatus } from './delivery-status';
