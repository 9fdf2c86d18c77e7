import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResolvedVmegOptions } from '../lib/module/vmeg-module-options';
import * as statements from '../lib/store/queue.statements';
import { VmegDeliveryStore } from '../lib/store/vmeg-delivery-store';
import { VMEG_RESOLVED_OPTIONS } from '../lib/vmeg.constants';

interface InboxStateRow {
  status: string;
  count: number;
  oldest_age_seconds: number;
}

/**
 * A `@nestjs/terminus` health indicator for the VMEG inbox. It is down when
 * PostgreSQL cannot be reached, or when the pending backlog, the age of the
 * oldest pending delivery or the dead-letter count passes the `health`
 * thresholds of `VmegModule`. Add it to a module that imports
 * `TerminusModule`, and call `isHealthy()` from a `@HealthCheck()` route.
 */
@Injectable()
export class VmegHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly store: VmegDeliveryStore,
    @Inject(VMEG_RESOLVED_OPTIONS) private readonly options: ResolvedVmegOptions,
  ) {}

  async isHealthy<const Key extends string = 'vmeg'>(key: Key = 'vmeg' as Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);

    let rows: InboxStateRow[];
    try {
      ({ rows } = await this.store.execute<InboxStateRow>(statements.INBOX_STATE, []));
    } catch (error) {
      return indicator.down({ database: 'unreachable', message: error instanceof Error ? error.message : String(error) });
    }

    const pending = rows.find((row) => row.status === 'pending');
    const state = {
      pending: pending?.count ?? 0,
      oldestPendingSeconds: Math.round(pending?.oldest_age_seconds ?? 0),
      processing: rows.find((row) => row.status === 'processing')?.count ?? 0,
      dead: rows.find((row) => row.status === 'dead')?.count ?? 0,
    };

    const { maxPending, maxOldestPendingSeconds, maxDead } = this.options.health;
    const problems = [
      state.pending > maxPending ? `${state.pending} pending deliveries, more than ${maxPending}` : undefined,
      state.oldestPendingSeconds > maxOldestPendingSeconds
        ? `oldest pending delivery is ${state.oldestPendingSeconds} s old, more than ${maxOldestPendingSeconds} s`
        : undefined,
      state.dead > maxDead ? `${state.dead} dead deliveries, more than ${maxDead}` : undefined,
    ].filter((problem) => problem !== undefined);

    if (problems.length > 0) {
      return indicator.down({ ...state, message: problems.join('; ') });
    }
    return indicator.up(state);
  }
}
