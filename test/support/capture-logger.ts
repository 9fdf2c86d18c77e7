import type { LoggerService, LogLevel } from '@nestjs/common';

export interface CapturedLine {
  level: LogLevel;
  text: string;
}

/** A Nest logger that keeps every line, with its level, for assertions. */
export class CaptureLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.capture('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.capture('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.capture('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.capture('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.capture('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.capture('fatal', message, rest);
  }

  /** Lines above `debug`: what a production log shows. */
  visible(): CapturedLine[] {
    return this.lines.filter((line) => line.level !== 'debug' && line.level !== 'verbose');
  }

  matching(pattern: RegExp): CapturedLine[] {
    return this.lines.filter((line) => pattern.test(line.text));
  }

  private capture(level: LogLevel, message: unknown, rest: unknown[]): void {
    const parts = [message, ...rest].map((part) => (typeof part === 'string' ? part : JSON.stringify(part)));
    this.lines.push({ level, text: parts.join(' ') });
  }
}
