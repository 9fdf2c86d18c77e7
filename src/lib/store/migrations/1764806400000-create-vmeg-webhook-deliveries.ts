import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Creates `vmeg_webhook_deliveries`, with `pipeline_key` unique for deduplication. */
export class CreateVmegWebhookDeliveries1764806400000 implements MigrationInterface {
  name = 'CreateVmegWebhookDeliveries1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE vmeg_webhook_deliveries (
        id            bigint GENERATED ALWAYS AS IDENTITY,
        pipeline_key  varchar(128) NOT NULL,
        event         varchar(128) NOT NULL,
        task_id       varchar(128),
        code          integer NOT NULL,
        payload       jsonb NOT NULL,
        status        varchar(16) NOT NULL,
        attempts      integer NOT NULL DEFAULT 0,
        last_error    text,
        received_at   timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        processed_at  timestamptz,
        CONSTRAINT pk_vmeg_webhook_deliveries PRIMARY KEY (id),
        CONSTRAINT uq_vmeg_webhook_deliveries_pipeline_key UNIQUE (pipeline_key),
        CONSTRAINT ck_vmeg_webhook_deliveries_status CHECK (status IN ('processing', 'processed', 'failed')),
        CONSTRAINT ck_vmeg_webhook_deliveries_attempts CHECK (attempts >= 0)
      )
    `);
    await queryRunner.query(`CREATE INDEX ix_vmeg_webhook_deliveries_task_id ON vmeg_webhook_deliveries (task_id)`);
    await queryRunner.query(`CREATE INDEX ix_vmeg_webhook_deliveries_status_received_at ON vmeg_webhook_deliveries (status, received_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE vmeg_webhook_deliveries`);
  }
}
