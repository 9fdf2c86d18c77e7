import { sendSigned, ttsBody } from '../../support/deliveries';

/** One delivery sent by `startLoad`, with the last response it got. */
export interface LoadedDelivery {
  key: string;
  bytes: string;
  /** Index of the target URL it was sent to. */
  target: number;
  /** HTTP status, or 0 when the connection failed. */
  status: number;
  outcome?: string;
  /** Date.now() when the response arrived. */
  answeredAt: number;
}

export interface RunningLoad {
  /** Stops sending and resolves with every delivery sent, once all responses are in. */
  stop(): Promise<LoadedDelivery[]>;
  /** Deliveries that got a response, or a connection error, so far. */
  readonly answered: readonly LoadedDelivery[];
}

/**
 * Sends new signed deliveries to `urls` in turn, `inFlight` at a time, until
 * `stop()` is called, `maxRequests` were sent or `maxDurationMs` passed.
 * Connection errors count as status 0, never as a thrown error.
 */
export function startLoad(urls: readonly string[], options: { inFlight: number; maxRequests: number; maxDurationMs: number }): RunningLoad {
  const answered: LoadedDelivery[] = [];
  const deadline = Date.now() + options.maxDurationMs;
  let stopped = false;
  let sent = 0;

  const lane = async (): Promise<void> => {
    while (!stopped && sent < options.maxRequests && Date.now() < deadline) {
      const target = sent % urls.length;
      sent += 1;
      const bytes = JSON.stringify(ttsBody());
      const key = JSON.parse(bytes).pipelineKey as string;
      let status = 0;
      let outcome: string | undefined;
      try {
        const response = await sendSigned(urls[target], bytes).timeout(20_000);
        status = response.status;
        outcome = response.body?.outcome;
      } catch (error) {
        // supertest rejects on connection errors and time-outs; the test treats them as unanswered.
        status = (error as { status?: number }).status ?? 0;
      }
      answered.push({ key, bytes, target, status, outcome, answeredAt: Date.now() });
    }
  };
  const lanes = Promise.all(Array.from({ length: options.inFlight }, lane));

  return {
    answered,
    stop: async () => {
      stopped = true;
      await lanes;
      return answered;
    },
  };
}

/**
 * Sends each delivery again until it gets a 200, as VMEG retries a non-2xx
 * response: at most `maxAttempts` times each, `delayMs` apart. Returns the
 * deliveries that never got a 200.
 */
export async function retryUntilAcknowledged(urls: readonly string[], deliveries: LoadedDelivery[], options: { maxAttempts: number; delayMs: number }): Promise<LoadedDelivery[]> {
  const unacknowledged: LoadedDelivery[] = [];
  for (const delivery of deliveries) {
    let acknowledged = false;
    for (let attempt = 0; attempt < options.maxAttempts && !acknowledged; attempt++) {
      const response = await sendSigned(urls[delivery.target], delivery.bytes).catch(() => undefined);
      acknowledged = response?.status === 200;
      if (!acknowledged) {
        await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      }
    }
    if (!acknowledged) {
      unacknowledged.push(delivery);
    }
  }
  return unacknowledged;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
