// Types of the `data` of an `openapi-media-translation` delivery. Each
// interface names the schema of VMEG's OpenAPI document that it follows, and
// that document marks every field optional. It gives no unit for the script
// timings (`start`, `end`, `timeRange`, `tracksTimes`) or for `VmegMediaTtsLine.duration`.

/**
 * Task type code (schema `OpenApiTaskType`): `vt` video translation, `at` audio
 * translation. An `at` request on a video file may run as `vt`. The other codes
 * belong to VMEG's task API. Other strings are accepted because VMEG may add codes.
 */
export type VmegTaskType = 'vt' | 'at' | 'tts' | 'cloneVoice' | 'textTranslation' | (string & {});

/** Task status, `finished` or `failed` once the task has ended. */
export type VmegMediaTranslationStatus = 'running' | 'failed' | 'finished';

/** Frame size in pixels (schema `OpenApiMediaTranslationResolution`). */
export interface VmegMediaResolution {
  width?: number;
  height?: number;
  [field: string]: unknown;
}

/** Video, audio or image file on VMEG's CDN (schema `OpenApiMediaTranslationMediaFile`). */
export interface VmegMediaFile {
  /** HTTPS CDN URL. */
  url?: string;

  /** Duration in seconds. */
  duration?: number;

  /** File size in bytes. */
  size?: number;

  resolution?: VmegMediaResolution;

  /** Frames per second, when the file has frames. */
  fps?: number;

  [field: string]: unknown;
}

/** Audio file of the final build (schema `OpenApiMediaTranslationAudioFile`). */
export interface VmegMediaAudioFile {
  url?: string;
  duration?: number;
  size?: number;
  fps?: number;
  [field: string]: unknown;
}

/** Image file of the final build (schema `OpenApiMediaTranslationImageFile`). */
export interface VmegMediaImageFile {
  url?: string;
  size?: number;
  resolution?: VmegMediaResolution;
  [field: string]: unknown;
}

/** Source and target locales, BCP 47 (schema `OpenApiMediaTranslationLanguagePair`). */
export interface VmegMediaLanguagePair {
  source?: string;
  target?: string;
  [field: string]: unknown;
}

/** One line of recognized speech (schema `OpenApiMediaTranslationAsrResultLine`). */
export interface VmegMediaAsrLine {
  speaker?: string;
  start?: number;
  end?: number;
  text?: string;
  locale?: string;
  emotion?: string;
  name?: string;
  gender?: string;
  age?: string;
  id?: string;
  textWithBracket?: string;
  textWithBreak?: string;
  [field: string]: unknown;
}

/** Speech recognition summary (schema `OpenApiMediaTranslationAsrScripts`). */
export interface VmegMediaAsrScripts {
  asrResults?: VmegMediaAsrLine[];

  /** HTTPS URL of the mono audio track. */
  monoAudio?: string;

  /** Number of speakers detected. */
  speakerNum?: number;

  language?: VmegMediaLanguagePair;
  category?: string;
  industry?: string;
  keywords?: string[];
  ctcEnabled?: boolean;
  [field: string]: unknown;
}

/** Separated audio stems as CDN URLs (schema `OpenApiMediaTranslationAudioSeparation`). */
export interface VmegMediaAudioSeparation {
  sfxUrl?: string;
  musicUrl?: string;
  vocalUrl?: string;
  speechUrl?: string;
  otherUrl?: string;
  mnsUrl?: string;
  [field: string]: unknown;
}

/** One translated script line (schema `OpenApiMediaTranslationTranslatedScriptLine`). */
export interface VmegMediaTranslatedLine {
  start?: number;
  end?: number;
  sourceText?: string;
  text?: string;
  speaker?: string;
  locale?: string;
  gender?: string;
  id?: string;
  voiceId?: string;

  /** Voice tier of the line: preset `S1`, `S2`, … or clone `V1` to `V5`. */
  provider?: string;

  speakerDisplayName?: string;
  emotion?: string;
  age?: string;
  sourceSyllable?: number;
  targetSyllable?: number;
  mode?: string;
  [field: string]: unknown;
}

/** Translated script (schema `OpenApiMediaTranslationTranslatedScripts`). */
export interface VmegMediaTranslatedScripts {
  result?: VmegMediaTranslatedLine[];
  [field: string]: unknown;
}

/** Voice clone settings of the task (schema `OpenApiMediaTranslationVoiceCloneResult`). */
export interface VmegMediaVoiceClone {
  /** Clone engine, `V1` to `V5`. */
  provider?: string;

  mode?: string;

  /** HTTPS URL of the reference audio. */
  refAudio?: string;

  [field: string]: unknown;
}

/** Voice chosen for one speaker (schema `OpenApiMediaTranslationVoiceMatch`). */
export interface VmegMediaVoiceMatch {
  speaker?: string;
  voiceId?: string;

  /** Clone engine, `V1` to `V5`. */
  provider?: string;

  exampleLanguage?: string;
  content?: string;

  /** HTTPS URL of the example audio. */
  audio?: string;

  [field: string]: unknown;
}

/** One synthesized line of the dub (schema `OpenApiMediaTranslationTtsLine`). */
export interface VmegMediaTtsLine {
  id?: string;
  text?: string;

  /** HTTPS URL of the synthesized audio. */
  ttsFile?: string;

  /** Voice tier of the line: preset `S1`, `S2`, … or clone `V1` to `V5`. */
  provider?: string;

  voiceId?: string;

  /** Integer in a unit that VMEG's document does not give. */
  duration?: number;

  cloneMode?: string;
  [field: string]: unknown;
}

/** Synthesized lines of the dub (schema `OpenApiMediaTranslationTtsResult`). */
export interface VmegMediaTts {
  result?: VmegMediaTtsLine[];
  [field: string]: unknown;
}

/** Track placed on the timeline (schema `OpenApiMediaTranslationAlignmentTrack`). */
export interface VmegMediaAlignmentTrack {
  /** HTTPS URL of the track file. */
  file?: string;

  templateId?: number;
  tracksTimes?: number[];
  timeRange?: number[];
  volumeScale?: number;
  [field: string]: unknown;
}

/** Timeline of the dubbed output (schema `OpenApiMediaTranslationAlignment`). */
export interface VmegMediaAlignment {
  audio?: VmegMediaAlignmentTrack[];

  /** Subtitle entries, whose shape VMEG's document leaves open. */
  subtitle?: unknown[];

  video?: VmegMediaAlignmentTrack[];
  [field: string]: unknown;
}

/** Final outputs as CDN URLs (schema `OpenApiMediaTranslationBuild`). */
export interface VmegMediaBuild {
  video?: VmegMediaFile;
  images?: VmegMediaImageFile[];
  audio?: VmegMediaAudioFile;
  [field: string]: unknown;
}

/** Deliverables of a media translation (schema `OpenApiMediaTranslationCustomerResult`). */
export interface VmegMediaTranslationResult {
  /** Transcoded copies keyed by profile, such as `480p` or `360p`. */
  compress?: Record<string, VmegMediaFile>;

  /** Recognized speech of the source. */
  asrScripts?: VmegMediaAsrScripts;

  audioSeparation?: VmegMediaAudioSeparation;
  translatedScripts?: VmegMediaTranslatedScripts;
  voiceClone?: VmegMediaVoiceClone;

  /** Voice chosen for each speaker. */
  voiceMatch?: VmegMediaVoiceMatch[];

  tts?: VmegMediaTts;
  alignment?: VmegMediaAlignment;
  build?: VmegMediaBuild;
  [field: string]: unknown;
}

/**
 * `data` of an `openapi-media-translation` delivery
 * (schema `OpenApiMediaTranslationCallbackData`).
 */
export interface VmegMediaTranslationData {
  /** VMEG task id returned by `create-async`. */
  taskId?: string;

  taskType?: VmegTaskType;

  /** Final status; `failed` marks a failed task even when the envelope's `code` is 200. */
  status?: VmegMediaTranslationStatus;

  result?: VmegMediaTranslationResult;
  [field: string]: unknown;
}
