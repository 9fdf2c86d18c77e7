import { Controller, HttpCode, HttpStatus, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { DELIVERY_DISPATCHER, type DeliveryDispatcher, type DispatchOutcome } from '../dispatch/delivery-dispatcher';
import { VmegMetrics } from '../metrics/vmeg-metrics';
import { VmegSignatureGuard } from '../signature/vmeg-signature.guard';
import { parseVmegEnvelope } from './parse-vmeg-envelope';
import type { VmegRawRequest } from './raw-request';
import { outcomeOfFailure, toHttpException } from './to-http-exception';

/** Body of a 200 response. */
export interface VmegDeliveryAcknowledgement {
  pipelineKey: string;
  /** `queued` for the worker, `processed` inline, or `duplicate` of a stored delivery. */
  outcome: DispatchOutcome;
}

/**
 * Receives VMEG deliveries. `VmegModule` mounts it on the `path` option; an
 * app that mounts it itself sets `path: null` and declares a subclass with its
 * own `@Controller(...)` route.
 */
@Controller()
export class VmegWebhookController {
  constructor(
    @Inject(DELIVERY_DISPATCHER) private readonly dispatcher: DeliveryDispatcher,
    private readonly metrics: VmegMetrics,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @UseGuards(VmegSignatureGuard)
  async receive(@Req() request: VmegRawRequest): Promise<VmegDeliveryAcknowledgement> {
    const receivedAt = new Date();
    let event = 'unknown';

    try {
      const { payload, json, taskId } = parseVmegEnvelope(request.rawBody ?? Buffer.alloc(0));
      event = payload.event;
      const record = { pipelineKey: payload.pipelineKey, event, taskId, code: payload.code, payloadJson: json, receivedAt };

      const outcome = await this.dispatcher.dispatch(record, payload);
      this.metrics.delivery(event, outcome);
      return { pipelineKey: payload.pipelineKey, outcome };
    } catch (error) {
      const { outcome, reason } = outcomeOfFailure(error);
      this.metrics.delivery(event, outcome, reason);
      throw toHttpException(error);
    }
  }
}
