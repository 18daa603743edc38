// Deployment record ids in requests.
import { ServiceError } from '../../domain/errors.js';

export function recordId(v: string | number | undefined, name: string): number {
  const n = typeof v === 'number' ? v : /^\s*\d{1,15}\s*$/.test(v ?? '') ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new ServiceError('FailedOperation.InvalidParam', `${name} must be a deployment record id (a positive integer).`);
  return n;
}

export const optionalRecordId = (v: number | undefined, name: string) => {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v <= 0) throw new ServiceError('FailedOperation.InvalidParam', `${name} must be a positive integer.`);
  return v;
};
