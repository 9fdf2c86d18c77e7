import type { Client } from 'pg';

/** The stored state of one delivery, as the reliability tests check it. */
export interface DeliveryState {
  status: string;
  attempts: number;
  last_error: string | null;
}

/** Reads the row of `pipelineKey`, or undefined when none is stored. */
export async function readDeliveryState(db: Client, pipelineKey: string): Promise<DeliveryState | undefined> {
  const result = await db.query<DeliveryState>('SELECT status, attempts, last_error FROM vmeg_webhook_deliveries WHERE pipeline_key = $1', [pipelineKey]);
  return result.rows[0];
}

/** Counts the `handler_effects` rows that committed handler calls wrote for `pipelineKey`. */
export async function countEffects(db: Client, pipelineKey: string): Promise<number> {
  const result = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM handler_effects WHERE pipeline_key = $1', [pipelineKey]);
  return result.rows[0].count;
}
