/**
 * Returns the delay in ms before the attempt after `attempt` failed:
 * exponential from `baseMs`, capped at `maxMs`, with "full jitter" (a
 * uniformly random delay between half and all of it) so that deliveries that
 * failed together do not retry together.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
