import type { DataSource } from 'typeorm';
import { signVmegRequest } from '../index';

const REQUEST_TIMEOUT_MS = 10_000;

/** A webhook request as it goes over the wire. */
export interface SignedRequest {
  pipelineKey: string;
  body: string;
  headers: Record<string, string>;
}

/** Response to one demo request. */
export interface DeliveryResponse {
  /** HTTP status, followed by the `outcome` of a 200 response: `200 queued`, `200 duplicate`, `401`. */
  response: string;
  /** Time in ms from sending the request to receiving the response. */
  elapsedMs: number;
}

/** Signs `body` with `secret`, at `timestampMs` or now, as VMEG would. */
export function signRequest(body: string, secret: string, timestampMs?: number): SignedRequest {
  const { pipelineKey } = JSON.parse(body) as { pipelineKey: string };
  return {
    pipelineKey,
    body,
    headers: { 'Content-Type': 'application/json', ...signVmegRequest(secret, body, timestampMs) },
  };
}

/** POSTs one signed request to the webhook URL and reads the response. */
export async function postDelivery(url: string, request: SignedRequest): Promise<DeliveryResponse> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const elapsedMs = performance.now() - started;
  const answer = (await response.json()) as { outcome?: string };

  return {
    response: response.status === 200 ? `200 ${answer.outcome}` : String(response.status),
    elapsedMs,
  };
}

/** Returns `status, attempts` of the delivery's row in vmeg_webhook_deliveries, or `none`. */
export async function readDeliveryRow(dataSource: DataSource, pipelineKey: string): Promise<string> {
  const rows: { status: string; attempts: number }[] = await dataSource.query(
    'SELECT status, attempts FROM vmeg_webhook_deliveries WHERE pipeline_key = $1',
    [pipelineKey],
  );
  return rows.length === 0 ? 'none' : `${rows[0].status}, ${rows[0].attempts}`;
}

/** Returns `status` of the delivery's row in example_media_assets, or `none`. */
export async function readAssetRow(dataSource: DataSource, pipelineKey: string): Promise<string> {
  const rows: { status: string }[] = await dataSource.query('SELECT status FROM example_media_assets WHERE pipeline_key = $1', [
    pipelineKey,
  ]);
  return rows.length === 0 ? 'none' : rows[0].status;
}
