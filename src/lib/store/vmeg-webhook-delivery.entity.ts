import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { DELIVERY_TABLE } from '../vmeg.constants';
import type { VmegDeliveryStatus } from './delivery-status';

/**
 * One VMEG delivery, keyed by its `pipelineKey`. The table is created by the
 * shipped migrations; this entity maps it for reads and must not be used with
 * `synchronize`.
 */
@Entity({ name: DELIVERY_TABLE, synchronize: false })
@Unique('uq_vmeg_webhook_deliveries_pipeline_key', ['pipelineKey'])
export class VmegWebhookDelivery {
  /** bigint, returned by `pg` as a decimal string. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'pipeline_key', type: 'varchar', length: 128 })
  pipelineKey!: string;

  @Column({ type: 'varchar', length: 128 })
  event!: string;

  /** `data.taskId` when the payload has one. */
  @Column({ name: 'task_id', type: 'varchar', length: 128, nullable: true })
  taskId!: string | null;

  /** VMEG's outcome code; 200 means the task succeeded. */
  @Column({ type: 'integer' })
  code!: number;

  /** The body as received, stored as `jsonb`. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16 })
  status!: VmegDeliveryStatus;

  /** Attempts made so far, successful or not. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** When this server first received the delivery. */
  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** When a pending delivery is due, or when the claim of a processing one expires. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /** The worker that holds the claim of a processing delivery. */
  @Column({ name: 'locked_by', type: 'varchar', length: 128, nullable: true })
  lockedBy!: string | null;
}
