import { CreateVmegWebhookDeliveries1764806400000 } from './migrations/1764806400000-create-vmeg-webhook-deliveries';
import { VmegWebhookDelivery } from './vmeg-webhook-delivery.entity';

/** Entity classes to add to the app's TypeORM `entities`. */
export const vmegEntities = [VmegWebhookDelivery];

/** Migration classes to add to the app's TypeORM `migrations`, in the order they run. */
export const vmegMigrations = [CreateVmegWebhookDeliveries1764806400000];

export { CreateVmegWebhookDeliveries1764806400000, VmegWebhookDelivery };
export type { VmegDeliveryStatus } from './delivery-status';
