import { Inject, Injectable, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnVmegEvent, VmegModule } from '../../src';
import { runVmegMigrations, TEST_SECRET } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startApp, startupFailure, typeOrmConnection } from './start-app';

@Injectable({ scope: Scope.REQUEST })
class RequestScopedHandlers {
  @OnVmegEvent('openapi-tts')
  onSpeech(): void {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestContext {
  constructor(@Inject(REQUEST) readonly request: unknown) {}
}

/** A default-scoped provider that Nest makes request-scoped, because it depends on one. */
@Injectable()
class HandlersWithRequestDependency {
  constructor(readonly context: RequestContext) {}

  @OnVmegEvent('*')
  onEvery(): void {}
}

@Injectable()
class SpeechArchive {
  @OnVmegEvent('openapi-tts', { id: 'archive-speech' })
  archive(): void {}
}

@Injectable()
class SpeechMirror {
  @OnVmegEvent('openapi-tts', { id: 'archive-speech' })
  mirror(): void {}
}

@Injectable()
class TwoMethodsOneId {
  @OnVmegEvent('openapi-tts', { id: 'shared-id' })
  first(): void {}

  @OnVmegEvent('openapi-translate', { id: 'shared-id' })
  second(): void {}
}

@Injectable()
class TwoIdsOneMethod {
  @OnVmegEvent('openapi-tts', { id: 'speech' })
  @OnVmegEvent('openapi-translate', { id: 'translation' })
  both(): void {}
}

@Injectable()
class DistinctIds {
  @OnVmegEvent('openapi-tts', { id: 'speech' })
  speech(): void {}

  @OnVmegEvent('openapi-tts', { id: 'speech-audit' })
  audit(): void {}
}

describe('VmegModule start-up errors', () => {
  let database: TestDatabase;
  let emptyDatabase: TestDatabase;

  beforeAll(async () => {
    [database, emptyDatabase] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    await runVmegMigrations(database.url);
  });

  afterAll(async () => {
    await database?.drop();
    await emptyDatabase?.drop();
  });

  function vmeg(extra: { dataSourceName?: string } = {}) {
    return VmegModule.forRoot({ secret: TEST_SECRET, ...extra });
  }

  describe('handlers', () => {
    it('rejects a request-scoped handler', async () => {
      const { error } = await startupFailure({ imports: [typeOrmConnection(database.url), vmeg()], providers: [RequestScopedHandlers] });

      expect(error.message).toContain('RequestScopedHandlers.onSpeech');
      expect(error.message).toContain('request-scoped');
    });

    it('rejects a handler depending on request scope', async () => {
      const { error } = await startupFailure({
        imports: [typeOrmConnection(database.url), vmeg()],
        providers: [RequestContext, HandlersWithRequestDependency],
      });

      expect(error.message).toContain('HandlersWithRequestDependency.onEvery');
      expect(error.message).toContain('request-scoped');
    });

    it('rejects one id on two classes', async () => {
      const { error } = await startupFailure({ imports: [typeOrmConnection(database.url), vmeg()], providers: [SpeechArchive, SpeechMirror] });

      expect(error.message).toContain('"archive-speech"');
      expect(error.message).toContain('unique { id }');
    });

    it('rejects one id on two methods', async () => {
      const { error } = await startupFailure({ imports: [typeOrmConnection(database.url), vmeg()], providers: [TwoMethodsOneId] });

      expect(error.message).toContain('"shared-id"');
    });

    it('rejects two ids on one method', async () => {
      const { error } = await startupFailure({ imports: [typeOrmConnection(database.url), vmeg()], providers: [TwoIdsOneMethod] });

      expect(error.message).toContain('TwoIdsOneMethod.both');
      expect(error.message).toContain('speech');
      expect(error.message).toContain('translation');
    });

    it('starts with distinct ids', async () => {
      const testApp = await startApp({ imports: [typeOrmConnection(database.url), vmeg()], providers: [DistinctIds] });

      expect(testApp.logger.matching(/Registered 2 @OnVmegEvent handler/)).toHaveLength(1);
      await testApp.close();
    });
  });

  describe('data source', () => {
    it('requires TypeOrmModule', async () => {
      const { error } = await startupFailure({ imports: [vmeg()] });

      expect(error.message).toContain('found no TypeORM data source "default"');
      expect(error.message).toContain('import TypeOrmModule.forRoot');
    });

    it('names a missing dataSourceName', async () => {
      const { error } = await startupFailure({ imports: [typeOrmConnection(database.url), vmeg({ dataSourceName: 'nope' })] });

      expect(error.message).toContain('found no TypeORM data source "nope"');
    });

    it('finds an existing dataSourceName', async () => {
      const testApp = await startApp({ imports: [typeOrmConnection(database.url, 'deliveries'), vmeg({ dataSourceName: 'deliveries' })] });

      await testApp.close();
    });

    it('requires the migrations', async () => {
      const { error } = await startupFailure({ imports: [typeOrmConnection(emptyDatabase.url), vmeg()] });

      expect(error.message).toContain('vmeg_webhook_deliveries does not exist');
      expect(error.message).toContain('run the migrations in vmegMigrations');
    });
  });
});
