// DescribeCertificates' filters and orders evaluated over records in memory: the plain
// meaning store/listing/ must agree with (bench/listing-check.ts holds the two together).
import type { CertificateQuery, CertificateRecord } from '../../domain/certificate.js';

const searchText = (c: CertificateRecord) => [c.id, c.alias, c.domain, ...c.sans].join('\n').toLowerCase();
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function listInMemory(all: Iterable<CertificateRecord>, q: CertificateQuery): { total: number; items: CertificateRecord[] } {
  const at = q.now;
  let rows = [...all].filter((c) => c.accountUin === q.accountUin);
  if (q.searchKey) {
    const k = q.searchKey.toLowerCase();
    rows = rows.filter((c) => searchText(c).includes(k));
  }
  if (q.certificateType) rows = rows.filter((c) => c.certificateType === q.certificateType);
  if (q.projectId !== undefined) rows = rows.filter((c) => c.projectId === q.projectId);
  if (q.statuses?.length) {
    // Expiry is not written back to the record: an issued certificate past notAfter is 3.
    rows = rows.filter((c) => q.statuses!.some((s) => at === undefined ? c.status === s
      : s === 1 ? c.status === 1 && c.notAfter >= at
        : s === 3 ? c.status === 3 || (c.status === 1 && c.notAfter < at) : c.status === s));
  }
  if (q.source === 'upload') rows = rows.filter((c) => c.source === 'upload');
  if (q.source === 'buy') rows = rows.filter((c) => c.source !== 'upload');
  if (q.isSm !== undefined) rows = rows.filter((c) => c.isSm === q.isSm);
  if (q.certIds?.length) rows = rows.filter((c) => q.certIds!.includes(c.id));
  if (q.pendingIssue) rows = rows.filter((c) => c.status === 0 || c.status === 4);
  if (q.deployable !== undefined) {
    rows = rows.filter((c) => (c.certificateType === 'SVR' && c.status === 1 && !!c.privateKeySealed && (at === undefined || c.notAfter >= at)) === q.deployable);
  }
  if (q.expiring) rows = rows.filter((c) => c.status === 1 && c.notAfter >= q.expiring!.now && c.notAfter <= q.expiring!.until);
  for (const tag of q.tags ?? []) rows = rows.filter((c) => c.tags.some((x) => x.key === tag.key && (tag.value === '' || x.value === tag.value)));
  // Newest first (id breaks ties), or by expiry with ids ascending within one notAfter.
  rows.sort(q.expirationSort
    ? (a, b) => (q.expirationSort === 'ASC' ? a.notAfter - b.notAfter : b.notAfter - a.notAfter) || cmp(a.id, b.id)
    : (a, b) => b.createdAt - a.createdAt || cmp(b.id, a.id));
  return { total: rows.length, items: rows.slice(q.offset, q.offset + q.limit) };
}
