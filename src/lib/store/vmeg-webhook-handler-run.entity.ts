import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A handler that succeeded for a delivery; its writes committed with this row. */
@Entity({ name: 'vmeg_webhook_handler_runs', synchronize: false })
export class VmegWebhookHandlerRun {
  /** bigint, returned by `pg` as a decimal string. */
  @PrimaryColumn({ name: 'delivery_id', type: 'bigint' })
  deliveryId!: string;

  /** `ClassName.methodName`, or the `id` given to `@OnVmegEvent`. */
  @PrimaryColumn({ name: 'handler_key', type: 'varchar', length: 200 })
  handlerKey!: string;

  /** The delivery's attempt in which the handler succeeded. */
  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ name: 'completed_at', type: 'timestamptz' })
  completedAt!: Date;
}
