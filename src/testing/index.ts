export * from './payload-builders';
