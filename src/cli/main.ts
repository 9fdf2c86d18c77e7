#!/usr/bin/env node
/**
 * Entry point of `vmeg-webhook`, the command-line tool of nestjs-vmeg: `send`
 * signs and POSTs test deliveries to a webhook endpoint, and `deliveries`
 * lists, shows, replays and purges the stored ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { createDeliveriesCommand } from './deliveries-command';
import { CliError, EXIT_USAGE_OR_ENVIRONMENT } from './errors';
import { createSendCommand } from './send-command';

export function createProgram(): Command {
  const program = new Command('vmeg-webhook')
    .description('Send signed test deliveries to a VMEG webhook endpoint, and inspect and replay the deliveries that nestjs-vmeg stored.')
    .version(readPackageVersion());

  program.addCommand(createSendCommand());
  program.addCommand(createDeliveriesCommand());
  throwInsteadOfExiting(program);
  return program;
}

/**
 * Makes commander throw its usage errors instead of calling process.exit, on
 * every command, so that main() maps them to exit code 2. Commander copies
 * this setting only to subcommands made with `.command()`, not to the ones
 * added with `.addCommand()`.
 */
function throwInsteadOfExiting(command: Command): void {
  command.exitOverride();
  command.commands.forEach(throwInsteadOfExiting);
}

/** Runs the program and sets the exit code: 2 for any error, including commander's usage errors. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has printed the message or the help already; --help and --version exit with 0.
    return error.exitCode === 0 ? 0 : EXIT_USAGE_OR_ENVIRONMENT;
  }
  if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_USAGE_OR_ENVIRONMENT;
}

/** Reads the version from package.json, which sits two folders above both src/cli and dist/cli. */
function readPackageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

if (require.main === module) {
  void main(process.argv);
}
