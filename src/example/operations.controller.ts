import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { register } from 'prom-client';
import { VmegHealthIndicator } from '../health';

/**
 * Endpoints that a load balancer and Prometheus poll. `/health` responds
 * with 503 when PostgreSQL is unreachable or the inbox passes the module's
 * `health` thresholds. `/metrics` serves prom-client's default registry,
 * where the module registers its metrics.
 */
@Controller()
export class OperationsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly vmeg: VmegHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.vmeg.isHealthy()]);
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
