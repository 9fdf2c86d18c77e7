import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { VmegModule, vmegEntities, vmegMigrations } from '../index';
import { DubbingService } from './dubbing.service';
import { MediaAsset } from './media-asset.entity';
import { exampleMigrations } from './migrations';

/**
 * Root module of the example host app. It reads DATABASE_URL and
 * VMEG_WEBHOOK_SECRET when the app is created, not when this file is loaded,
 * so that main.ts and demo.ts can set them first.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      useFactory: () => ({
        type: 'postgres',
        url: readRequiredEnv('DATABASE_URL', 'set it to a PostgreSQL URL such as postgres://user:password@127.0.0.1:5432/app'),
        entities: [...vmegEntities, MediaAsset],
        // TypeORM runs pending migrations in the order of the timestamp in their class names, whatever their order here.
        migrations: [...vmegMigrations, ...exampleMigrations],
      }),
    }),
    VmegModule.forRootAsync({
      useFactory: () => ({
        // In the default dispatch mode, 'queued', the module responds with 200
        // once the delivery is stored, and a worker inside this app runs
        // DubbingService's handlers afterwards.
        secret: readRequiredEnv('VMEG_WEBHOOK_SECRET', "set it to the webhook secret from VMEG's API Configuration page"),
      }),
    }),
  ],
  providers: [DubbingService],
})
export class AppModule {}

function readRequiredEnv(name: string, hint: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Environment variable ${name} is not set: ${hint}`);
  }
  return value;
}
