import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { LogThrottle } from '../logging/log-throttle';
import { VmegMetrics } from '../metrics/vmeg-metrics';
import type { ResolvedVmegOptions } from '../module/vmeg-module-options';
import { announcesBody, isApplicationJson, isJsonContentType, type VmegRawRequest } from '../http/raw-request';
import { VMEG_RESOLVED_OPTIONS } from '../vmeg.constants';
import { verifyVmegSignature } from './verify-vmeg-signature';

export const MISSING_RAW_BODY_MESSAGE =
  'the raw request body is not available, so the VMEG signature cannot be verified; ' +
  'create the app with NestFactory.create(AppModule, { rawBody: true }), and set the JSON body limit only with ' +
  "app.useBodyParser (Express: useBodyParser('json', { limit }), Fastify: useBodyParser('application/json', { bodyLimit })), " +
  'because a JSON parser installed by the app itself drops the raw body';

/**
 * Lets a request through only when `X-Timestamp` and `X-Signature` verify
 * against the exact body bytes with one of the configured secrets. Rejections
 * are 401 with the failed check in the message, never the expected value.
 * A JSON body without the raw bytes means the app was created without
 * `rawBody: true`, or replaced Nest's JSON parser: that is a 500 with the
 * fix, never a silent 401.
 */
@Injectable()
export class VmegSignatureGuard implements CanActivate {
  private readonly logger = new Logger('VmegSignatureGuard');
  private readonly rejectionLog = new LogThrottle(20, 60_000);
  private missingRawBodyLogged = false;

  constructor(
    @Inject(VMEG_RESOLVED_OPTIONS) private readonly options: ResolvedVmegOptions,
    private readonly metrics: VmegMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<VmegRawRequest>();
    const rawBody = this.readRawBody(request);

    const check = verifyVmegSignature({
      timestamp: request.headers['x-timestamp'],
      signature: request.headers['x-signature'],
      rawBody,
      secrets: this.options.secrets,
      toleranceMs: this.options.toleranceMs,
      nowMs: Date.now(),
    });

    if (!check.valid) {
      this.metrics.delivery('unknown', 'rejected', check.failure.replaceAll('-', '_'));
      this.rejectionLog.run((suppressed) => {
        const more = suppressed > 0 ? ` (${suppressed} similar rejections not logged)` : '';
        this.logger.warn(`Rejected a webhook request from ${request.ip ?? 'unknown address'}: ${check.message} [${check.failure}]${more}`);
      });
      throw new UnauthorizedException(check.message);
    }
    return true;
  }

  private readRawBody(request: VmegRawRequest): Buffer {
    if (!announcesBody(request.headers)) {
      return Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.alloc(0);
    }

    const contentType = request.headers['content-type'];
    const received = contentType === undefined ? 'none' : JSON.stringify(contentType.slice(0, 100));
    if (!isJsonContentType(contentType)) {
      this.metrics.delivery('unknown', 'rejected', 'unsupported_media_type');
      throw new UnsupportedMediaTypeException(`Content-Type must be application/json, got ${received}`);
    }

    if (Buffer.isBuffer(request.rawBody)) {
      return request.rawBody;
    }

    // The default parsers leave an `application/*+json` body unread, so its
    // raw bytes are missing for that request only: a 415, not a set-up error.
    if (!isApplicationJson(contentType)) {
      this.metrics.delivery('unknown', 'rejected', 'unsupported_media_type');
      throw new UnsupportedMediaTypeException(`Content-Type must be application/json, got ${received}`);
    }

    if (!this.missingRawBodyLogged) {
      this.missingRawBodyLogged = true;
      this.logger.error(`Cannot verify VMEG deliveries: ${MISSING_RAW_BODY_MESSAGE}`);
    }
    throw new InternalServerErrorException(MISSING_RAW_BODY_MESSAGE);
  }
}
