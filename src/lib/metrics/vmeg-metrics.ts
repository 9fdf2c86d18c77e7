import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResolvedVmegOptions } from '../module/vmeg-module-options';
import * as statements from '../store/queue.statements';
import { VmegDeliveryStore } from '../store/vmeg-delivery-store';
import { VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import type { DeliveryOutcomeLabel } from './delivery-outcome';

type PromClient = typeof import('prom-client');

/** States reported by the backlog gauge. */
const GAUGE_STATES = ['pending', 'processing', 'failed', 'dead'] as const;

/**
 * Prometheus metrics through `prom-client`, when the host app has it
 * installed; every method does nothing otherwise. Metrics are registered once
 * per registry, so several apps in one process share them.
 *
 * - `vmeg_webhook_deliveries_total{event, outcome, reason}`: counter; `reason`
 *   is set for `rejected`: the failed signature check in snake_case (such as
 *   `signature_mismatch`), `invalid_body`, `unstorable_payload` or
 *   `unsupported_media_type`.
 * - `vmeg_webhook_handler_duration_seconds{handler, result}`: histogram.
 * - `vmeg_webhook_inbox_deliveries{status}` and
 *   `vmeg_webhook_inbox_oldest_pending_seconds`: gauges read from the table at
 *   each scrape.
 */
@Injectable()
export class VmegMetrics implements OnModuleInit {
  private readonly logger = new Logger('VmegMetrics');
  private deliveries?: Counter<'event' | 'outcome' | 'reason'>;
  private handlerDuration?: Histogram<'handler' | 'result'>;

  constructor(
    @Inject(VMEG_RESOLVED_OPTIONS) private readonly options: ResolvedVmegOptions,
    private readonly store: VmegDeliveryStore,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.metrics.enabled) {
      return;
    }

    let prom: PromClient;
    try {
      prom = await import('prom-client');
    } catch {
      this.logger.debug('prom-client is not installed; metrics are off');
      return;
    }

    const registry = (this.options.metrics.registry as Registry | undefined) ?? prom.register;
    this.deliveries = existing(registry, 'vmeg_webhook_deliveries_total') ??
      new prom.Counter({
        name: 'vmeg_webhook_deliveries_total',
        help: 'VMEG webhook requests and delivery attempts by event and outcome',
        labelNames: ['event', 'outcome', 'reason'],
        registers: [registry],
      });
    this.handlerDuration = existing(registry, 'vmeg_webhook_handler_duration_seconds') ??
      new prom.Histogram({
        name: 'vmeg_webhook_handler_duration_seconds',
        help: 'Run time of @OnVmegEvent handlers in seconds',
        labelNames: ['handler', 'result'],
        buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120],
        registers: [registry],
      });
    this.registerInboxGauges(prom, registry);
  }

  delivery(event: string, outcome: DeliveryOutcomeLabel, reason = ''): void {
    this.deliveries?.inc({ event, outcome, reason });
  }

  handlerRun(handler: string, succeeded: boolean, seconds: number): void {
    this.handlerDuration?.observe({ handler, result: succeeded ? 'success' : 'failure' }, seconds);
  }

  private registerInboxGauges(prom: PromClient, registry: Registry): void {
    if (existing(registry, 'vmeg_webhook_inbox_deliveries')) {
      return;
    }

    const readInboxState = async () => {
      try {
        const { rows } = await this.store.execute<{ status: string; count: number; oldest_age_seconds: number }>(statements.INBOX_STATE, []);
        return rows;
      } catch (error) {
        this.logger.warn(`Reading the inbox state for metrics failed: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    };

    new prom.Gauge({
      name: 'vmeg_webhook_inbox_deliveries',
      help: 'Deliveries in vmeg_webhook_deliveries by status, read at scrape time',
      labelNames: ['status'],
      registers: [registry],
      async collect(this: Gauge<'status'>) {
        const rows = await readInboxState();
        for (const status of GAUGE_STATES) {
          if (rows) {
            this.set({ status }, rows.find((row) => row.status === status)?.count ?? 0);
          }
        }
      },
    });
    new prom.Gauge({
      name: 'vmeg_webhook_inbox_oldest_pending_seconds',
      help: 'Age in seconds of the oldest pending delivery, 0 when none is pending',
      registers: [registry],
      async collect(this: Gauge) {
        const rows = await readInboxState();
        if (rows) {
          this.set(rows.find((row) => row.status === 'pending')?.oldest_age_seconds ?? 0);
        }
      },
    });
  }
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}
