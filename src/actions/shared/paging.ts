// Offset/Limit as the spec reads them.
import { ServiceError } from '../../domain/errors.js';

export const MAX_LIMIT = 1000;

export function pageParams(offset: number | undefined, limit: number | undefined, def: number) {
  const o = offset ?? 0;
  const l = limit ?? def;
  if (!Number.isInteger(o) || o < 0) throw new ServiceError('InvalidParameterValue', 'Offset must be a non-negative integer.');
  if (!Number.isInteger(l) || l < 0) throw new ServiceError('InvalidParameterValue', 'Limit must be a non-negative integer.');
  // The spec: "values exceeding 1000 will be treated as 1000".
  return { offset: o, limit: Math.min(l === 0 ? def : l, MAX_LIMIT) };
}
