import type * as M from './shared/csr-models.js';
import { csrItem } from './shared/csr-item.js';
import type { ActionHandler } from './types.js';

export const DescribeCSR: ActionHandler<M.DescribeCSRRequest, M.DescribeCSRResponse> = async (ctx, p) => {
  const { record, keyPassword, privateKey } = await ctx.services.csrs.get(ctx.caller, p.CSRId);
  const { Id, OwnerUin, Domain, Organization, Department, Email, Province, City, Country, EncryptAlgo, KeyParameter, Remarks, Status, CreateTime } = csrItem(record);
  // The spec's field order.
  return {
    Id, OwnerUin, Domain, Organization, Department, Email, Province, City, Country, EncryptAlgo, KeyParameter, Remarks, Status,
    KeyPassword: keyPassword,
    CreateTime,
    CSR: record.csrPem,
    PrivateKey: privateKey,
  };
};
