/**
 * Measures, in queued mode, the time from the 200 response to the start of
 * the handler, with the worker woken by LISTEN/NOTIFY and with polling only.
 *
 * Run: node -r ts-node/register/transpile-only bench/queued-latency.ts
 * (the queued-drain scenario of `npm run bench` runs it too).
 * Environment: DATABASE_URL (default: embedded PostgreSQL), BENCH_DELIVERIES (default 200).
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OnVmegEvent, signVmegRequest, VmegInbox, VmegModule, vmegEntities, type VmegWebhookPayload } from '../src';
import { buildTtsPayload } from '../src/testing';
import { openBenchDatabase, quantile } from './support/bench-database';

const SECRET = 'bench-secret';
const POLL_INTERVAL_MS = 1000;

/** Records when each delivery's handler started, by pipelineKey. */
@Injectable()
class StartRecorder {
  readonly startedAt = new Map<string, number>();

  @OnVmegEvent('*')
  onDelivery(payload: VmegWebhookPayload): void {
    this.startedAt.set(payload.pipelineKey, performance.now());
  }
}

/**
 * Sends `deliveries` signed deliveries one at a time, 7 to 37 ms apart, to a
 * queued app in this process and returns, per delivery, the time in ms from
 * its 200 response to the start of its handler.
 */
export async function measureAckToStart(databaseUrl: string, listen: boolean, deliveries: number): Promise<number[]> {
  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl, entities: [...vmegEntities] }),
      VmegModule.forRoot({ secret: SECRET, dispatch: 'queued', worker: { listen, pollIntervalMs: POLL_INTERVAL_MS } }),
    ],
    providers: [StartRecorder],
  })
  class LatencyModule {}

  const app = await NestFactory.create(LatencyModule, { rawBody: true, logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const recorder = app.get(StartRecorder);
  const acknowledgedAt = new Map<string, number>();

  for (let index = 0; index < deliveries; index += 1) {
    const body = JSON.stringify(buildTtsPayload());
    const { pipelineKey } = JSON.parse(body) as { pipelineKey: string };
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/vmeg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signVmegRequest(SECRET, body) },
      body,
    });
    acknowledgedAt.set(pipelineKey, performance.now());
    if (response.status !== 200) {
      throw new Error(`delivery ${index} got ${response.status}`);
    }
    // Spread the deliveries so that each one waits on its own, as single completions do.
    await new Promise((resolve) => setTimeout(resolve, 7 + Math.random() * 30));
  }

  await app.get(VmegInbox).waitUntilDrained({ timeoutMs: 60_000 });
  await app.close();

  return [...acknowledgedAt].map(([key, acknowledged]) => (recorder.startedAt.get(key) ?? Number.NaN) - acknowledged);
}

async function main(): Promise<void> {
  const deliveries = Number(process.env.BENCH_DELIVERIES ?? 200);
  const database = await openBenchDatabase();
  try {
    console.log(`Queued mode: time from the 200 response to the handler start, ${deliveries} deliveries, poll interval ${POLL_INTERVAL_MS} ms`);
    for (const listen of [true, false]) {
      const latencies = await measureAckToStart(await database.create(), listen, deliveries);
      const label = listen ? 'LISTEN/NOTIFY' : 'polling only ';
      console.log(`${label}  median ${quantile(latencies, 0.5).toFixed(1)} ms  p99 ${quantile(latencies, 0.99).toFixed(1)} ms  max ${Math.max(...latencies).toFixed(1)} ms`);
    }
  } finally {
    await database.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
