// Certificates as rows: the mappers both ways and the statements every store that writes or
// reads a whole certificate shares (the certificate store, the order stores, the listing).
import type { CertificateMaterialRow, CertificateRow } from './schema.js';
import type { ChainFacts, CertificateRecord, Tag } from '../domain/certificate.js';
import type { Q } from './db.js';
import { spkiSha256OfPem } from '../pki/revocation.js';

/** What a CertificateRecord needs of certificate_material (joined as `m`). */
export const MATERIAL = ['m.cert_pem', 'm.private_key_sealed', 'm.key_password_sealed', 'm.encrypt_cert_pem', 'm.encrypt_key_sealed', 'm.chain_root_pem', 'm.chain_facts'] as const;

export type FullRow = CertificateRow & Pick<CertificateMaterialRow, 'cert_pem' | 'private_key_sealed' | 'key_password_sealed'>
  & Partial<Pick<CertificateMaterialRow, 'encrypt_cert_pem' | 'encrypt_key_sealed' | 'chain_root_pem' | 'chain_facts'>>;

export function toRecord(r: FullRow, tags: Tag[]): CertificateRecord {
  return {
    id: r.id,
    accountUin: r.account_uin,
    projectId: Number(r.project_id),
    alias: r.alias,
    certificateType: r.certificate_type as 'SVR' | 'CA',
    source: r.source,
    status: r.status,
    statusMsg: r.status_msg,
    domain: r.domain,
    sans: JSON.parse(r.sans),
    certPem: r.cert_pem,
    privateKeySealed: r.private_key_sealed,
    keyPasswordSealed: r.key_password_sealed,
    fingerprintSha1: r.fingerprint_sha1,
    fingerprintSha256: r.fingerprint_sha256,
    serialHex: r.serial_hex,
    issuerCn: r.issuer_cn,
    encryptAlgorithm: r.encrypt_algorithm,
    isSm: !!r.is_sm,
    isWildcard: !!r.is_wildcard,
    isDv: !!r.is_dv,
    notBefore: Number(r.not_before),
    notAfter: Number(r.not_after),
    certificateUse: r.certificate_use,
    packageType: r.package_type,
    productZhName: r.product_zh_name,
    verifyType: r.verify_type,
    validityPeriod: r.validity_period,
    caInfo: r.ca_info ? JSON.parse(r.ca_info) : null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    tags,
    dvDeadline: r.dv_deadline === null ? null : Number(r.dv_deadline),
    validatedAt: r.validated_at === null ? null : Number(r.validated_at),
    originCertId: r.origin_cert_id,
    renewOrderId: r.renew_order_id,
    replacedBy: r.replaced_by,
    replacedFor: r.replaced_for,
    encryptCertPem: r.encrypt_cert_pem ?? null,
    encryptKeySealed: r.encrypt_key_sealed ?? null,
    // Absent when not known (the record's own convention), so a record reads back as written.
    ...(r.chain_root_pem != null ? { chainRootPem: r.chain_root_pem } : {}),
    ...(r.chain_facts != null ? { chainFacts: JSON.parse(r.chain_facts) as ChainFacts } : {}),
  };
}

export function toRow(c: CertificateRecord): CertificateRow {
  return {
    id: c.id,
    account_uin: c.accountUin,
    project_id: c.projectId,
    alias: c.alias,
    certificate_type: c.certificateType,
    source: c.source,
    status: c.status,
    status_msg: c.statusMsg,
    domain: c.domain,
    sans: JSON.stringify(c.sans),
    search_text: [c.id, c.alias, c.domain, ...c.sans].join('\n').toLowerCase(),
    has_key: c.privateKeySealed ? 1 : 0,
    fingerprint_sha1: c.fingerprintSha1,
    fingerprint_sha256: c.fingerprintSha256,
    serial_hex: c.serialHex,
    issuer_cn: c.issuerCn,
    encrypt_algorithm: c.encryptAlgorithm,
    is_sm: c.isSm ? 1 : 0,
    is_wildcard: c.isWildcard ? 1 : 0,
    is_dv: c.isDv ? 1 : 0,
    not_before: c.notBefore,
    not_after: c.notAfter,
    certificate_use: c.certificateUse,
    package_type: c.packageType,
    product_zh_name: c.productZhName,
    verify_type: c.verifyType,
    validity_period: c.validityPeriod,
    ca_info: c.caInfo ? JSON.stringify(c.caInfo) : null,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    dv_deadline: c.dvDeadline,
    validated_at: c.validatedAt,
    origin_cert_id: c.originCertId,
    renew_order_id: c.renewOrderId,
    replaced_by: c.replacedBy,
    replaced_for: c.replacedFor,
  };
}

export const materialRow = (c: CertificateRecord): CertificateMaterialRow => ({
  cert_id: c.id, cert_pem: c.certPem, private_key_sealed: c.privateKeySealed, key_password_sealed: c.keyPasswordSealed,
  encrypt_cert_pem: c.encryptCertPem, encrypt_key_sealed: c.encryptKeySealed, chain_root_pem: c.chainRootPem ?? null,
  chain_facts: c.chainFacts ? JSON.stringify(c.chainFacts) : null,
  spki_sha256: spkiSha256OfPem(c.certPem),
});

/** A certificate's tags as rows (kept with its account and creation time, for the tag indexes). */
export const tagRows = (c: CertificateRecord) =>
  c.tags.map((t) => ({ cert_id: c.id, account_uin: c.accountUin, tag_key: t.key, tag_value: t.value, cert_created_at: c.createdAt }));

/** A certificate's row, its material and its tags. */
export async function insertCertificateRows(q: Q, c: CertificateRecord): Promise<void> {
  await q.insertInto('certificates').values(toRow(c)).execute();
  await q.insertInto('certificate_material').values(materialRow(c)).execute();
  if (c.tags.length) {
    await q.insertInto('certificate_tags')
      .values(tagRows(c)).execute();
  }
}

export async function tagsFor(q: Q, ids: string[]): Promise<Map<string, Tag[]>> {
  const out = new Map<string, Tag[]>();
  if (ids.length === 0) return out;
  const rows = await q.selectFrom('certificate_tags').select(['cert_id', 'tag_key', 'tag_value'])
    .where('cert_id', 'in', ids).orderBy('tag_key').execute();
  for (const r of rows) {
    const list = out.get(r.cert_id) ?? [];
    list.push({ key: r.tag_key, value: r.tag_value });
    out.set(r.cert_id, list);
  }
  return out;
}

/** Certificates with their PEM and sealed key. */
export const selectFull = (q: Q) => q.selectFrom('certificates as c')
  .innerJoin('certificate_material as m', 'm.cert_id', 'c.id')
  .selectAll('c').select(MATERIAL);

/** The record of a row `selectFull` read, with its tags. */
export async function withTags(q: Q, r: FullRow | undefined): Promise<CertificateRecord | null> {
  if (!r) return null;
  return toRecord(r, (await tagsFor(q, [r.id])).get(r.id) ?? []);
}

/** One certificate of the account, or null. */
export async function readCertificate(q: Q, accountUin: string, id: string): Promise<CertificateRecord | null> {
  return withTags(q, await selectFull(q).where('c.account_uin', '=', accountUin).where('c.id', '=', id).executeTakeFirst());
}
