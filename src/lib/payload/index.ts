export * from './clone-voice.payload';
export * from './media-translation.payload';
export * from './translate.payload';
export * from './tts.payload';
export * from './vmeg-event';
export * from './vmeg-webhook-envelope';
export * from './vmeg-webhook-payload';
