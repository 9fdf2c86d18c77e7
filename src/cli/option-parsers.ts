import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** An age given on the command line, such as `2h` or `30d`. */
export interface Duration {
  /** The text as the user typed it, for messages. */
  text: string;
  ms: number;
}

/**
 * Parses an age such as `90s`, `15m`, `2h`, `3d` or `1w` (a whole number and
 * one unit). A commander option parser: invalid input raises
 * `InvalidArgumentError`, which commander prints with the option's name.
 */
export function parseDuration(text: string): Duration {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (match === null) {
    throw new InvalidArgumentError('Expected a whole number and a unit s, m, h, d or w, such as 2h or 30d.');
  }

  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError('The duration is too long.');
  }
  return { text: text.trim(), ms };
}

/** Returns a commander option parser that accepts whole numbers of at least `minimum`. */
export function integerParser(minimum: number): (text: string) => number {
  return (text: string) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < minimum) {
      throw new InvalidArgumentError(`Expected a whole number of at least ${minimum}.`);
    }
    return value;
  };
}

/** Parses the webhook endpoint's URL, which must be an absolute http or https URL. */
export function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('Expected an absolute http:// or https:// URL, such as http://127.0.0.1:3000/webhooks/vmeg.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`Expected an http:// or https:// URL, not ${url.protocol}.`);
  }
  return url;
}
