import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Turns `vmeg_webhook_deliveries` into a durable inbox: `pending` and `dead`
 * states, the time of the next attempt (for a claimed delivery, the end of
 * its lease), the claiming worker, and one row per handler that succeeded.
 * Existing rows keep their state.
 */
export class AddVmegDeliveryQueue1764892800000 implements MigrationInterface {
  name = 'AddVmegDeliveryQueue1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE vmeg_webhook_deliveries DROP CONSTRAINT ck_vmeg_webhook_deliveries_status`);
    await queryRunner.query(`
      ALTER TABLE vmeg_webhook_deliveries
        ADD CONSTRAINT ck_vmeg_webhook_deliveries_status
          CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'dead')),
        ADD COLUMN next_attempt_at timestamptz,
        ADD COLUMN locked_by varchar(128)
    `);

    // Claims read pending and expired claimed rows in next_attempt_at order.
    await queryRunner.query(`
      CREATE INDEX ix_vmeg_webhook_deliveries_claim
        ON vmeg_webhook_deliveries (next_attempt_at)
        WHERE status IN ('pending', 'processing')
    `);
    // Purge reads processed rows by age.
    await queryRunner.query(`
      CREATE INDEX ix_vmeg_webhook_deliveries_purge
        ON vmeg_webhook_deliveries (processed_at)
        WHERE status = 'processed'
    `);

    await queryRunner.query(`
      CREATE TABLE vmeg_webhook_handler_runs (
        delivery_id   bigint NOT NULL,
        handler_key   varchar(200) NOT NULL,
        attempt       integer NOT NULL,
        completed_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_vmeg_webhook_handler_runs PRIMARY KEY (delivery_id, handler_key),
        CONSTRAINT fk_vmeg_webhook_handler_runs_delivery FOREIGN KEY (delivery_id)
          REFERENCES vmeg_webhook_deliveries (id) ON DELETE CASCADE
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE vmeg_webhook_handler_runs`);
    await queryRunner.query(`DROP INDEX ix_vmeg_webhook_deliveries_purge`);
    await queryRunner.query(`DROP INDEX ix_vmeg_webhook_deliveries_claim`);

    // The first migration has no queued states. A pending, claimed or dead
    // delivery becomes failed, so that the next VMEG retry of it runs the handlers.
    await queryRunner.query(`UPDATE vmeg_webhook_deliveries SET status = 'failed' WHERE status IN ('pending', 'processing', 'dead')`);
    await queryRunner.query(`
      ALTER TABLE vmeg_webhook_deliveries
        DROP CONSTRAINT ck_vmeg_webhook_deliveries_status,
        DROP COLUMN locked_by,
        DROP COLUMN next_attempt_at,
        ADD CONSTRAINT ck_vmeg_webhook_deliveries_status CHECK (status IN ('processing', 'processed', 'failed'))
    `);
  }
}
