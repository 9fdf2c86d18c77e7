import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { vmegEntities, vmegMigrations } from './src/index';

/**
 * Data source for the TypeORM CLI (`npm run migration:run`). It reads
 * DATABASE_URL, for example postgres://postgres@127.0.0.1:5432/app.
 */
const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error('DATABASE_URL is not set; set it to the PostgreSQL database to migrate, e.g. postgres://user:password@127.0.0.1:5432/app');
}

export default new DataSource({
  type: 'postgres',
  url,
  entities: [...vmegEntities],
  migrations: [...vmegMigrations],
});
