export { VmegHealthIndicator } from './vmeg-health.indicator';
