export * from './payload-builders';
export { signVmegRequest, type VmegSignatureHeaders } from '../lib/signature/sign-vmeg-request';
