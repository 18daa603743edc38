// The CSR APIs (spec "CSR APIs"): CreateCSR, DescribeCSR, DescribeCSRSet, ModifyCSR and
// BatchDeleteCSR. The rules live in services/csrs.ts; these shape the spec's responses.
import type { CsrSummary } from '../domain/csr.js';
import type * as M from './csr-models.js';
import { formatTime } from './present.js';
import type { ActionHandler } from './types.js';

function item(c: CsrSummary): M.CSRItem {
  return {
    Id: c.id,
    OwnerUin: c.accountUin,
    Domain: c.domain,
    Organization: c.organization,
    Department: c.department,
    Email: c.email,
    Province: c.province,
    City: c.city,
    Country: c.country,
    EncryptAlgo: c.encryptAlgo,
    KeyParameter: c.keyParameter,
    Remarks: c.remark,
    Status: c.status,
    CreateTime: formatTime(c.createdAt)!,
  };
}

export const CreateCSR: ActionHandler<M.CreateCSRRequest, M.CreateCSRResponse> = async (ctx, p) => {
  const id = await ctx.services.csrs.create(ctx.caller, {
    domain: p.Domain,
    organization: p.Organization,
    department: p.Department,
    email: p.Email,
    province: p.Province,
    city: p.City,
    country: p.Country,
    encryptAlgo: p.EncryptAlgo,
    keyParameter: p.KeyParameter,
    generate: p.Generate,
    keyPassword: p.KeyPassword ?? '',
    remark: p.Remark ?? '',
    tags: (p.Tags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })),
  });
  return { Id: id };
};

export const DescribeCSR: ActionHandler<M.DescribeCSRRequest, M.DescribeCSRResponse> = async (ctx, p) => {
  const { record, keyPassword, privateKey } = await ctx.services.csrs.get(ctx.caller, p.CSRId);
  const { Id, OwnerUin, Domain, Organization, Department, Email, Province, City, Country, EncryptAlgo, KeyParameter, Remarks, Status, CreateTime } = item(record);
  // The spec's field order.
  return {
    Id, OwnerUin, Domain, Organization, Department, Email, Province, City, Country, EncryptAlgo, KeyParameter, Remarks, Status,
    KeyPassword: keyPassword,
    CreateTime,
    CSR: record.csrPem,
    PrivateKey: privateKey,
  };
};

export const DescribeCSRSet: ActionHandler<M.DescribeCSRSetRequest, M.DescribeCSRSetResponse> = async (ctx, p) => {
  const { total, items } = await ctx.services.csrs.list(ctx.caller, {
    ...(p.Offset !== undefined ? { offset: p.Offset } : {}),
    ...(p.Limit !== undefined ? { limit: p.Limit } : {}),
    ...(p.Domain !== undefined ? { domain: p.Domain } : {}),
    ...(p.EncryptAlgo !== undefined ? { encryptAlgo: p.EncryptAlgo } : {}),
  });
  return { Total: total, Set: items.map(item) };
};

export const ModifyCSR: ActionHandler<M.ModifyCSRRequest, M.ModifyCSRResponse> = async (ctx, p) => {
  const id = await ctx.services.csrs.modify(ctx.caller, p.CSRId, {
    ...(p.Domain !== undefined ? { domain: p.Domain } : {}),
    ...(p.Organization !== undefined ? { organization: p.Organization } : {}),
    ...(p.Department !== undefined ? { department: p.Department } : {}),
    ...(p.Email !== undefined ? { email: p.Email } : {}),
    ...(p.Province !== undefined ? { province: p.Province } : {}),
    ...(p.City !== undefined ? { city: p.City } : {}),
    ...(p.Country !== undefined ? { country: p.Country } : {}),
    ...(p.EncryptAlgo !== undefined ? { encryptAlgo: p.EncryptAlgo } : {}),
    ...(p.KeyParameter !== undefined ? { keyParameter: p.KeyParameter } : {}),
    ...(p.Remark !== undefined ? { remark: p.Remark } : {}),
    ...(p.KeyPassword !== undefined ? { keyPassword: p.KeyPassword } : {}),
  }, p.Generate);
  return { Id: id };
};

export const BatchDeleteCSR: ActionHandler<M.BatchDeleteCSRRequest, M.BatchDeleteCSRResponse> = async (ctx, p) => {
  return { Success: await ctx.services.csrs.batchDelete(ctx.caller, p.CSRIds) };
};
