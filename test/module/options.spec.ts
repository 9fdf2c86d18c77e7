import type { DynamicModule } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidVmegOptionsError, VmegModule, type VmegModuleOptions } from '../../src';
import { runVmegMigrations } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startApp, startupFailure, typeOrmConnection } from './start-app';

/** A secret that no error message or log line may contain. */
const SECRET = 'whsec_options_7b1e5d3a9c2f4e60';

/** Options as a caller might pass them from untyped configuration. */
type LooseOptions = Record<string, unknown>;

describe('VmegModule options', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await runVmegMigrations(database.url);
  });

  afterAll(async () => {
    await database?.drop();
  });

  /**
   * Declares the module with `declare` and starts a real app with it. A
   * `forRoot` that throws while the module is declared counts as a start-up
   * failure too, because it runs when the app's module is loaded.
   *
   * The app has no TypeORM connection, because invalid options fail while
   * the module compiles and Nest closes nothing after a failed compile, so a
   * connection pool opened there would stay open. Valid options would fail
   * later, in init, with a message about TypeORM instead of the option.
   */
  async function startupErrorOf(declare: () => DynamicModule): Promise<{ error: Error; logText: string }> {
    let vmegModule: DynamicModule;
    try {
      vmegModule = declare();
    } catch (error) {
      return { error: error as Error, logText: '' };
    }

    const { error, logger } = await startupFailure({ imports: [vmegModule] });
    return { error, logText: logger.lines.map((line) => line.text).join('\n') };
  }

  function forRoot(options: LooseOptions): () => DynamicModule {
    return () => VmegModule.forRoot(options as unknown as VmegModuleOptions);
  }

  function forRootAsync(options: LooseOptions): () => DynamicModule {
    return () => VmegModule.forRootAsync({ useFactory: () => options as unknown as VmegModuleOptions });
  }

  it('valid options start the app', async () => {
    const testApp = await startApp({ imports: [typeOrmConnection(database.url), VmegModule.forRoot({ secret: SECRET })] });

    await testApp.close();
  });

  const invalidOptions: [string, LooseOptions, string, RegExp][] = [
    ['missing secret', {}, 'secret', /missing/],
    ['null secret', { secret: null }, 'secret', /missing/],
    ['empty secret', { secret: '' }, 'secret', /empty/],
    ['blank secret', { secret: '   ' }, 'secret', /empty/],
    ['empty secret array', { secret: [] }, 'secret', /array is empty/],
    ['number in secret array', { secret: [SECRET, 42] }, 'secret[1]', /expected a string, got number/],
    ['empty string in secret array', { secret: [SECRET, ''] }, 'secret[1]', /empty/],
    ['numeric secret', { secret: 12345 }, 'secret', /expected a string/],
    ['toleranceSeconds 0', { secret: SECRET, toleranceSeconds: 0 }, 'toleranceSeconds', /positive number of seconds, got 0/],
    ['negative toleranceSeconds', { secret: SECRET, toleranceSeconds: -5 }, 'toleranceSeconds', /got -5/],
    ['NaN toleranceSeconds', { secret: SECRET, toleranceSeconds: Number.NaN }, 'toleranceSeconds', /got NaN/],
    ['infinite toleranceSeconds', { secret: SECRET, toleranceSeconds: Number.POSITIVE_INFINITY }, 'toleranceSeconds', /got Infinity/],
    ['string toleranceSeconds', { secret: SECRET, toleranceSeconds: '300' }, 'toleranceSeconds', /got "300"/],
    ['lockTimeoutMs 0', { secret: SECRET, lockTimeoutMs: 0 }, 'lockTimeoutMs', /positive whole number of milliseconds, got 0/],
    ['fractional lockTimeoutMs', { secret: SECRET, lockTimeoutMs: 1.5 }, 'lockTimeoutMs', /got 1\.5/],
    ['string lockTimeoutMs', { secret: SECRET, lockTimeoutMs: '3000' }, 'lockTimeoutMs', /got "3000"/],
    ['string preparedStatements', { secret: SECRET, preparedStatements: 'false' }, 'preparedStatements', /expected true or false, got "false"/],
    ['unknown dispatch', { secret: SECRET, dispatch: 'background' }, 'dispatch', /expected one of .*"inline".*, got "background"/],
    ['uppercase dispatch', { secret: SECRET, dispatch: 'INLINE' }, 'dispatch', /got "INLINE"/],
    ['empty dataSourceName', { secret: SECRET, dataSourceName: '' }, 'dataSourceName', /name of a TypeORM data source, got ""/],
    ['numeric dataSourceName', { secret: SECRET, dataSourceName: 1 }, 'dataSourceName', /got 1/],
  ];

  describe.each([
    ['forRoot', forRoot],
    ['forRootAsync', forRootAsync],
  ])('%s', (_style, declare) => {
    it.each(invalidOptions)('rejects %s', async (_name, options, option, problem) => {
      const { error } = await startupErrorOf(declare(options));

      expect(error).toBeInstanceOf(InvalidVmegOptionsError);
      expect(error.message).toContain(`Invalid VmegModule option "${option}"`);
      expect(error.message).toMatch(problem);
    });

    it.each(invalidOptions)('keeps the secret out of %s', async (_name, options) => {
      const { error, logText } = await startupErrorOf(declare(options));

      expect(error.message).not.toContain(SECRET);
      expect(String(error.stack)).not.toContain(SECRET);
      expect(logText).not.toContain(SECRET);
    });
  });

  it('rejects an empty path', async () => {
    const { error } = await startupErrorOf(() => VmegModule.forRoot({ secret: SECRET, path: '' }));

    expect(error).toBeInstanceOf(InvalidVmegOptionsError);
    expect(error.message).toContain('Invalid VmegModule option "path"');
  });

  it('rejects a blank path', async () => {
    const { error } = await startupErrorOf(() => VmegModule.forRoot({ secret: SECRET, path: '  ' }));

    expect(error.message).toContain('Invalid VmegModule option "path"');
  });

  it('rejects a numeric path', async () => {
    const { error } = await startupErrorOf(() => VmegModule.forRoot({ secret: SECRET, path: 7 as unknown as string }));

    expect(error.message).toContain('Invalid VmegModule option "path"');
  });

  it('rejects an empty path in forRootAsync', async () => {
    const { error } = await startupErrorOf(() => VmegModule.forRootAsync({ path: '', useFactory: () => ({ secret: SECRET }) }));

    expect(error.message).toContain('Invalid VmegModule option "path"');
  });

  it('rejects a factory returning undefined', async () => {
    const { error } = await startupErrorOf(() => VmegModule.forRootAsync({ useFactory: () => undefined as unknown as VmegModuleOptions }));

    expect(error.message).toContain('Invalid VmegModule option "options"');
  });

  it('rejects a factory resolving invalid options', async () => {
    const declare = () =>
      VmegModule.forRootAsync({
        useFactory: async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          return { secret: SECRET, toleranceSeconds: -1 };
        },
      });

    const { error } = await startupErrorOf(declare);

    expect(error.message).toContain('Invalid VmegModule option "toleranceSeconds"');
  });
});
