import { Injectable, Logger } from '@nestjs/common';
import { OnVmegEvent, type VmegHandlerContext, type VmegWebhookPayload } from '../index';
import { MediaAsset, type MediaAssetKind, type MediaAssetStatus } from './media-asset.entity';

/** One handler call, as `DubbingService` saw it. */
export interface DubbingHandlerCall {
  handler: string;
  event: string;
  pipelineKey: string;
  attempt: number;
  assetStatus: MediaAssetStatus;
}

/** The columns of a `MediaAsset` that depend on the event. */
interface AssetDetails {
  kind: MediaAssetKind;
  itemCount: number;
  failedItemCount: number;
  /** True when the task failed although `code` is 200, for example a media task with status `failed`. */
  taskFailed?: boolean;
  outputUrl?: string | null;
  voiceId?: string | null;
}

/**
 * Records each finished VMEG task as a row of `example_media_assets`. Every
 * write goes through `context.manager`, the transaction in which the module
 * records that the handler succeeded, so the row is written exactly once per
 * delivery. If a handler throws, its row rolls back and the module retries
 * the handler later.
 */
@Injectable()
export class DubbingService {
  private readonly logger = new Logger(DubbingService.name);

  /**
   * Every handler call since start, including calls whose transaction later
   * rolled back. The demo counts them per request. The list grows without
   * bound, so a real service would not keep it.
   */
  readonly calls: DubbingHandlerCall[] = [];

  @OnVmegEvent('openapi-tts')
  async recordSpeech(payload: VmegWebhookPayload<'openapi-tts'>, context: VmegHandlerContext): Promise<void> {
    const results = payload.data.results ?? [];
    const failedLines = results.filter((line) => Boolean(line.errorMessage)).length;

    const status = await this.saveAsset('DubbingService.recordSpeech', payload, context, {
      kind: 'speech',
      itemCount: results.length,
      failedItemCount: failedLines,
    });
    this.logger.log(
      `TTS task ${payload.data.taskId ?? '(no taskId)'} ${describeStatus(status, payload.code)}: ` +
        `${results.length} line(s), ${failedLines} failed (pipelineKey ${payload.pipelineKey}, attempt ${context.attempt})`,
    );
  }

  @OnVmegEvent('openapi-translate')
  async recordTranslation(payload: VmegWebhookPayload<'openapi-translate'>, context: VmegHandlerContext): Promise<void> {
    const items = payload.data.items ?? [];
    const failedSegments = items.filter((item) => Boolean(item.errorMessage)).length;

    const status = await this.saveAsset('DubbingService.recordTranslation', payload, context, {
      kind: 'translation',
      itemCount: items.length,
      failedItemCount: failedSegments,
    });
    this.logger.log(
      `Translation task ${payload.data.taskId ?? '(no taskId)'} ${describeStatus(status, payload.code)}: ` +
        `${items.length} segment(s), ${failedSegments} failed (pipelineKey ${payload.pipelineKey}, attempt ${context.attempt})`,
    );
  }

  // The id keeps the handler's stored name stable if the method is renamed.
  @OnVmegEvent('openapi-clone-voice', { id: 'dubbing.cloned-voice' })
  async recordClonedVoice(payload: VmegWebhookPayload<'openapi-clone-voice'>, context: VmegHandlerContext): Promise<void> {
    const voiceId = payload.data.voiceId ?? null;

    const status = await this.saveAsset('dubbing.cloned-voice', payload, context, {
      kind: 'cloned-voice',
      itemCount: voiceId === null ? 0 : 1,
      failedItemCount: 0,
      // A clone that reports success without a voice cannot be used.
      taskFailed: voiceId === null,
      voiceId,
    });
    this.logger.log(
      `Voice clone task ${payload.data.taskId ?? '(no taskId)'} ${describeStatus(status, payload.code)}: ` +
        `voice ${voiceId ?? '(none)'} (pipelineKey ${payload.pipelineKey}, attempt ${context.attempt})`,
    );
  }

  @OnVmegEvent('openapi-media-translation')
  async recordDubbedMedia(payload: VmegWebhookPayload<'openapi-media-translation'>, context: VmegHandlerContext): Promise<void> {
    const result = payload.data.result ?? {};
    const translatedLines = result.translatedScripts?.result?.length ?? 0;
    const ttsLines = result.tts?.result?.length ?? 0;

    const status = await this.saveAsset('DubbingService.recordDubbedMedia', payload, context, {
      kind: 'dubbed-media',
      itemCount: translatedLines,
      failedItemCount: 0,
      taskFailed: payload.data.status === 'failed',
      outputUrl: result.build?.video?.url ?? result.build?.audio?.url ?? null,
    });
    this.logger.log(
      `Media translation task ${payload.data.taskId ?? '(no taskId)'} (${payload.data.taskType ?? 'unknown type'}) ` +
        `${describeStatus(status, payload.code)}: ${translatedLines} translated line(s), ${ttsLines} TTS line(s) ` +
        `(pipelineKey ${payload.pipelineKey}, attempt ${context.attempt})`,
    );
  }

  /** Inserts the task's asset through the delivery's transaction and returns its status. */
  private async saveAsset(
    handler: string,
    payload: VmegWebhookPayload<'openapi-tts' | 'openapi-translate' | 'openapi-clone-voice' | 'openapi-media-translation'>,
    context: VmegHandlerContext,
    details: AssetDetails,
  ): Promise<MediaAssetStatus> {
    const status = assetStatus(payload.code, details);
    this.calls.push({ handler, event: payload.event, pipelineKey: payload.pipelineKey, attempt: context.attempt, assetStatus: status });

    await context.manager.insert(MediaAsset, {
      pipelineKey: payload.pipelineKey,
      taskId: payload.data.taskId ?? null,
      kind: details.kind,
      status,
      itemCount: details.itemCount,
      failedItemCount: details.failedItemCount,
      outputUrl: details.outputUrl ?? null,
      voiceId: details.voiceId ?? null,
      failureMessage: status === 'failed' ? payload.message || `VMEG reported code ${payload.code}` : null,
    });
    return status;
  }
}

/** VMEG's `code` 200 means that the task succeeded; any other value means that it failed. */
function assetStatus(code: number, details: AssetDetails): MediaAssetStatus {
  if (code !== 200 || details.taskFailed) {
    return 'failed';
  }
  return details.failedItemCount > 0 ? 'partial' : 'ready';
}

function describeStatus(status: MediaAssetStatus, code: number): string {
  return status === 'failed' ? `failed (code ${code})` : status;
}
