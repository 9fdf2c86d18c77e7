import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Product whose task produced the asset, one per VMEG event. */
export type MediaAssetKind = 'speech' | 'translation' | 'cloned-voice' | 'dubbed-media';

/**
 * - `ready`: the task succeeded and every item has a result.
 * - `partial`: the task succeeded, but some items carry an `errorMessage`.
 * - `failed`: VMEG reported `code` other than 200, or a media task with status `failed`.
 */
export type MediaAssetStatus = 'ready' | 'partial' | 'failed';

/**
 * The example app's record of one finished VMEG task, written by
 * `DubbingService` in the transaction of the delivery that reported it.
 * The table is created by the migration in ./migrations.
 */
@Entity({ name: 'example_media_assets' })
export class MediaAsset {
  /** bigint, returned by `pg` as a decimal string. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  /** The delivery's `pipelineKey`; unique, so one delivery yields at most one asset. */
  @Column({ name: 'pipeline_key', type: 'varchar', length: 128 })
  pipelineKey!: string;

  @Column({ name: 'task_id', type: 'text', nullable: true })
  taskId!: string | null;

  @Column({ type: 'varchar', length: 32 })
  kind!: MediaAssetKind;

  @Column({ type: 'varchar', length: 16 })
  status!: MediaAssetStatus;

  /** Lines, segments or script lines that the task returned. */
  @Column({ name: 'item_count', type: 'integer' })
  itemCount!: number;

  /** Items among `itemCount` that carry an `errorMessage`. */
  @Column({ name: 'failed_item_count', type: 'integer' })
  failedItemCount!: number;

  /** CDN URL of the dubbed video or audio, for `dubbed-media`. */
  @Column({ name: 'output_url', type: 'text', nullable: true })
  outputUrl!: string | null;

  /** Id of the new voice, for `cloned-voice`. */
  @Column({ name: 'voice_id', type: 'text', nullable: true })
  voiceId!: string | null;

  /** VMEG's `message` when the task failed. */
  @Column({ name: 'failure_message', type: 'text', nullable: true })
  failureMessage!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false })
  createdAt!: Date;
}
