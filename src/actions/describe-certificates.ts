import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { CertStatus, isAwaitingIssue, isIssued, type CertificateQuery } from '../domain/certificate.js';
import { ServiceError } from '../domain/errors.js';
import { EXPIRING_WINDOW, nextTimeChange } from '../services/certificates.js';
import { HostingService } from '../services/hosting.js';
import { ResourceService } from '../services/resources.js';
import { pageParams } from './shared/paging.js';
import { presentListItem } from './shared/present.js';
import type { ActionHandler } from './types.js';

function flag(name: string, v: number | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v !== 0 && v !== 1) throw new ServiceError('InvalidParameterValue', `${name} must be 0 or 1.`);
  return v === 1;
}

export const DescribeCertificates: ActionHandler<M.DescribeCertificatesRequest, M.DescribeCertificatesResponse> = async (ctx, p) => {
  const now = ctx.services.clock();
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  // The caller's, with what each item shows besides (ListedSides): one object literal, passed on
  // as it is (each spread of this object, its members added case by case, cost ~2.5-3 µs, issue 27).
  const q: CertificateQuery = { accountUin: ctx.caller.accountUin, offset, limit, now, sides: true };
  if (p.SearchKey) q.searchKey = p.SearchKey;
  if (p.CertificateType) {
    const t = p.CertificateType.toUpperCase();
    if (t !== 'SVR' && t !== 'CA') throw new ServiceError('InvalidParameterValue', 'CertificateType must be CA or SVR.');
    q.certificateType = t;
  }
  if (p.ProjectId !== undefined) q.projectId = p.ProjectId;
  if (p.ExpirationSort) {
    const s = p.ExpirationSort.toUpperCase();
    if (s !== 'ASC' && s !== 'DESC') throw new ServiceError('InvalidParameterValue', 'ExpirationSort must be ASC or DESC.');
    q.expirationSort = s;
  }
  if (p.CertificateStatus?.length) {
    if (p.CertificateStatus.some((s) => !Number.isInteger(s) || s < 0 || s > 14)) {
      throw new ServiceError('InvalidParameterValue', 'CertificateStatus values must be status codes from 0 to 14.');
    }
    q.statuses = p.CertificateStatus.map(Number);
  }
  const deployable = flag('Deployable', p.Deployable);
  if (deployable !== undefined) q.deployable = deployable;
  if (flag('Upload', p.Upload)) q.source = 'upload';
  if (p.FilterSource) {
    if (p.FilterSource !== 'upload' && p.FilterSource !== 'buy') throw new ServiceError('InvalidParameterValue', 'FilterSource must be upload or buy.');
    q.source = p.FilterSource;
  }
  const sm = flag('IsSM', p.IsSM);
  if (sm !== undefined) q.isSm = sm;
  if (flag('FilterExpiring', p.FilterExpiring)) q.expiring = { now, until: now + EXPIRING_WINDOW };
  if (flag('IsPendingIssue', p.IsPendingIssue)) q.pendingIssue = true;
  flag('Renew', p.Renew);
  flag('Hostable', p.Hostable);
  if (p.Tags?.length) q.tags = p.Tags.map((t) => ({ key: t.TagKey, value: t.TagValue }));
  if (p.CertIds?.length) q.certIds = p.CertIds;
  const account = ctx.caller.accountUin;
  // The same page again, unless anything was committed since or the clock crossed one of its
  // certificates' expiry instants. Filters that compare with the clock (issued/expired,
  // expiring, deployable) move with it across the whole account: those pages are not kept.
  const pages = ctx.services.pages;
  const timeFiltered = q.expiring !== undefined || q.deployable !== undefined || (q.statuses ?? []).some(isIssued);
  const key = pages.enabled && !timeFiltered ? `${account}\n${JSON.stringify(p)}` : null;
  // A request asked for the first time is answered without the cache (pages.wanted).
  const cached = key !== null && pages.wanted(key, now) ? { key, token: await ctx.services.certificates.changeToken() } : null;
  const hit = cached && pages.get(cached.key, cached.token, now);
  if (hit) return hit;
  // The page's rows with what each item shows besides (resources, muted notices, hosting,
  // project) in one statement where the store can (ListedSides); else one query each, at once.
  const { total, items, sides } = await ctx.services.certificates.list(q, ctx.caller);
  const ids = items.map((c) => c.id);
  // Where sides are read with the page, so are its DV orders awaiting issue and its revocations.
  const [orders, revocations, apart] = sides ? [null, null, null] : await Promise.all([
    ctx.services.orders.getOrders(items.filter((c) => c.isDv && isAwaitingIssue(c.status)).map((c) => c.id)),
    ctx.services.revocations.getMany(items.filter((c) => c.status === CertStatus.revoked).map((c) => c.id)),
    Promise.all([
      ctx.services.resources.boundTypes(items),
      ctx.services.expirySwitch.ignoredExpiry(account, ids),
      ctx.services.hosting.views(account, ids),
      ctx.services.certificates.findProjects(account, items.map((c) => c.projectId)),
    ]),
  ]);
  const result = {
    TotalCount: total,
    Certificates: items.map((c, i) => {
      const s = sides?.[i];
      return presentListItem(c, now, s
        ? {
            project: s.project, order: s.order, boundResource: ResourceService.typesServing(c, s.resources),
            isIgnore: s.ignoredExpiry, revocation: s.revocation ?? undefined, hosting: HostingService.view(s.hosting),
          }
        : {
            project: apart![3].get(c.projectId) ?? null, order: orders!.get(c.id) ?? null, boundResource: apart![0].get(c.id) ?? [],
            isIgnore: apart![1].has(c.id), revocation: revocations!.get(c.id), hosting: apart![2].get(c.id) ?? HostingService.view(null),
          });
    }),
  };
  if (!cached) return result;
  return pages.put(cached.key, cached.token, now, Math.min(...items.map((c) => nextTimeChange(c, now))), result);
};
