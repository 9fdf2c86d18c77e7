import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { VmegHealthIndicator } from '../health';
import { VmegModule, vmegEntities, vmegMigrations, type VmegWorkerOptions } from '../index';
import { DubbingService } from './dubbing.service';
import { MediaAsset } from './media-asset.entity';
import { exampleMigrations } from './migrations';
import { OperationsController } from './operations.controller';

/** Settings of `AppModule.forRoot`. `npm start` sets none of them. */
export interface ExampleAppOptions {
  /** PostgreSQL URL. Default: DATABASE_URL, read when the app is created. */
  databaseUrl?: string;
  /** Webhook secret. Default: VMEG_WEBHOOK_SECRET, read when the app is created. */
  secret?: string;
  /** Worker settings passed to VmegModule. Default: the module's defaults. The demo shortens the retry delays. */
  worker?: VmegWorkerOptions;
  /** Providers added next to DubbingService, such as the demo's `DemoScriptedHandler`. */
  providers?: Provider[];
}

/**
 * Root module of the example host app. `forRoot` reads DATABASE_URL and
 * VMEG_WEBHOOK_SECRET when the app is created, not when this file is loaded,
 * so that main.ts and demo.ts can set them first.
 */
@Module({})
export class AppModule {
  static forRoot(options: ExampleAppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            type: 'postgres',
            url:
              options.databaseUrl ??
              readRequiredEnv('DATABASE_URL', 'set it to a PostgreSQL URL such as postgres://user:password@127.0.0.1:5432/app'),
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
            secret:
              options.secret ??
              readRequiredEnv('VMEG_WEBHOOK_SECRET', "set it to the webhook secret from VMEG's API Configuration page"),
            worker: options.worker,
          }),
        }),
        TerminusModule,
      ],
      controllers: [OperationsController],
      // The worker runs the handlers of one delivery in this order, so DubbingService's run before any added provider's.
      providers: [DubbingService, VmegHealthIndicator, ...(options.providers ?? [])],
    };
  }
}

function readRequiredEnv(name: string, hint: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Environment variable ${name} is not set: ${hint}`);
  }
  return value;
}
