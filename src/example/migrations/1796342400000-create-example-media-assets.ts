import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates `example_media_assets`. TypeORM runs pending migrations in the
 * order of the timestamp at the end of their class name, so on a new
 * database this one runs after the library's migrations, which are older.
 * The table does not depend on the library's tables.
 */
export class CreateExampleMediaAssets1796342400000 implements MigrationInterface {
  name = 'CreateExampleMediaAssets1796342400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE example_media_assets (
        id                 bigint GENERATED ALWAYS AS IDENTITY,
        pipeline_key       varchar(128) NOT NULL,
        task_id            text,
        kind               varchar(32) NOT NULL,
        status             varchar(16) NOT NULL,
        item_count         integer NOT NULL,
        failed_item_count  integer NOT NULL,
        output_url         text,
        voice_id           text,
        failure_message    text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_example_media_assets PRIMARY KEY (id),
        CONSTRAINT uq_example_media_assets_pipeline_key UNIQUE (pipeline_key),
        CONSTRAINT ck_example_media_assets_status CHECK (status IN ('ready', 'partial', 'failed'))
      )
    `);
    await queryRunner.query(`CREATE INDEX ix_example_media_assets_task_id ON example_media_assets (task_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE example_media_assets`);
  }
}
