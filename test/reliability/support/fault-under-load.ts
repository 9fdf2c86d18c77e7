import { auditDeliveries, waitUntilDrained, type DeliveryAudit } from './effects';
import { retryUntilAcknowledged, sleep, startLoad, type LoadedDelivery } from './delivery-load';
import { histogram } from './summary';

/** An app under load and the database it writes to. */
export interface FaultTarget {
  label: string;
  url: string;
  databaseUrl: string;
  dispatch: 'queued' | 'inline';
}

export interface TargetReport {
  target: FaultTarget;
  sent: number;
  /** Deliveries that got a 200 while the load ran, fault included. */
  acknowledged: LoadedDelivery[];
  /** Deliveries that got any other status, or none, while the load ran. */
  rejected: LoadedDelivery[];
  /** Statuses while the load ran, as `status:count` pairs. */
  statuses: string;
  /** Rejected deliveries that still got no 200 after the retries. */
  neverAcknowledged: LoadedDelivery[];
  /** Acknowledged deliveries that are missing, not processed or not exactly once after recovery. */
  lost: string[];
  audit: DeliveryAudit;
}

/**
 * Sends deliveries to every target, injects a fault after `beforeMs`, heals it
 * `faultMs` later, and keeps the load on for `afterMs`. Then it sends every
 * rejected delivery again until it is acknowledged, as VMEG retries, waits
 * for the workers to drain, and audits each database.
 */
export async function runFaultUnderLoad(
  targets: readonly FaultTarget[],
  fault: { inject: () => Promise<void>; heal: () => Promise<void> },
  timing: { beforeMs: number; faultMs: number; afterMs: number; inFlight: number },
): Promise<TargetReport[]> {
  const urls = targets.map((target) => target.url);
  const load = startLoad(urls, { inFlight: timing.inFlight, maxRequests: 5_000, maxDurationMs: 60_000 });

  await sleep(timing.beforeMs);
  await fault.inject();
  await sleep(timing.faultMs);
  await fault.heal();
  await sleep(timing.afterMs);
  const sent = await load.stop();

  const reports: TargetReport[] = [];
  for (const [index, target] of targets.entries()) {
    const mine = sent.filter((delivery) => delivery.target === index);
    const acknowledged = mine.filter((delivery) => delivery.status === 200);
    const rejected = mine.filter((delivery) => delivery.status !== 200);
    const neverAcknowledged = await retryUntilAcknowledged(urls, rejected, { maxAttempts: 40, delayMs: 250 });

    if (target.dispatch === 'queued') {
      await waitUntilDrained(target.databaseUrl, 60_000);
    }
    const audit = await auditDeliveries(
      target.databaseUrl,
      mine.map((delivery) => delivery.key),
    );
    const failed = new Set([...audit.missing, ...audit.unprocessed.map((entry) => entry.split(' ')[0]), ...audit.notExactlyOnce]);

    reports.push({
      target,
      sent: mine.length,
      acknowledged,
      rejected,
      statuses: Object.entries(histogram(mine.map((delivery) => delivery.status))).map(([status, count]) => `${status}:${count}`).join(','),
      neverAcknowledged,
      lost: acknowledged.map((delivery) => delivery.key).filter((key) => failed.has(key)),
      audit,
    });
  }
  return reports;
}
