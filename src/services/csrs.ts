// CSR records (spec "CSR APIs"): the only writer of the `csrs` table. A record created with
// Generate false is a draft that ModifyCSR may change; generating it (on create, or later on
// ModifyCSR) makes a key pair and a PKCS#10 CSR, after which the record is fixed. Keys are
// made off the event loop and kept sealed with the master key, bound to account and id.
// Every change writes the CSR record and nothing else.
import { createPrivateKey, randomInt } from 'node:crypto';
import { generateKeyPairAsync } from '../pki/keys.js';
import { ServiceError, isForeseen } from '../domain/errors.js';
import { CsrError, ISO3166_ALPHA2, SUBJECT_MAX_LENGTH, buildCsr, checkSubject } from '../pki/csr.js';
import type { Sealer } from '../secrets/sealer.js';
import { csrSubjectFields, type CsrRecord, type CsrSubjectFields, type CsrSummary } from '../domain/csr.js';
import type { CsrStore } from '../domain/stores.js';
import type { Tag } from '../domain/certificate.js';
import { NameError, normalizeDomain } from '../validation/names.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { aad } from '../secrets/aad.js';

/** The spec: "For RSA, only the 2048-bit and 4096-bit key pairs are supported. For ECC, only prime256v1 is supported." */
export const KEY_PARAMETERS: Readonly<Record<string, readonly string[]>> = { RSA: ['2048', '4096'], ECC: ['prime256v1'] };
export const MAX_REMARK_LENGTH = 200;
export const MAX_KEY_PASSWORD_LENGTH = 128;
export const MAX_TAGS = 50;
/** The spec (BatchDeleteCSR): "100 IDs at most". */
export const MAX_BATCH_DELETE = 100;
/** The spec (DescribeCSRSet): "The default value is 10, and the maximum value is 100." */
export const DEFAULT_PAGE = 10;
export const MAX_PAGE = 100;

/** The fields a CSR record carries, as the API names them; keyPassword '' for none. */
export type CsrFields = CsrSubjectFields & { keyPassword: string };

export interface CsrView {
  record: CsrRecord;
  /** The password the owner set (the spec returns it), or null. */
  keyPassword: string | null;
  /** PKCS#8 PEM; encrypted (AES-256-CBC) with keyPassword when there is one. Null while a draft. */
  privateKey: string | null;
}

export interface CsrListQuery {
  offset?: number;
  limit?: number;
  domain?: string;
  encryptAlgo?: string;
}

/** Spec codes: CreateCSR answers bad values with FailedOperation.InvalidParam, ModifyCSR with InvalidParameter.WithDetailReason. */
type InvalidCode = 'FailedOperation.InvalidParam' | 'InvalidParameter.WithDetailReason';

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const CONTROL = /[\x00-\x1f\x7f]/;
/** Random ids in 1 … 2^31-2: they fit an int32 in any client and PostgreSQL's integer. */
const MAX_CSR_ID = 2 ** 31 - 1;
const newCsrId = () => randomInt(1, MAX_CSR_ID);
const isCsrId = (id: unknown): id is number => typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
/** Larger ids are well formed but never given out (and overflow PostgreSQL's integer). */
const mayExist = (id: number) => id <= MAX_CSR_ID;

export const invalidCsrId = (id: unknown) =>
  new ServiceError('InvalidParameter.InvalidCSRId', `The CSR ${JSON.stringify(id)} does not exist.`);

export class CsrService {
  constructor(
    private readonly store: CsrStore,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
  ) {}

  /** CreateCSR: returns the new id. */
  async create(caller: Caller, input: CsrFields & { generate: boolean; tags?: Tag[] }): Promise<number> {
    const code: InvalidCode = 'FailedOperation.InvalidParam';
    const fields = checkFields(input, code);
    const tags = checkTags(input.tags ?? [], code);
    const now = this.clock();
    const material = input.generate ? await this.generate(fields, 'FailedOperation.SystemError') : null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = newCsrId();
      const record = this.toRecord(caller.accountUin, id, fields, tags, material, now, now, 0);
      if (await this.store.insertCsr(record)) return id;
    }
    throw new ServiceError('FailedOperation.SystemError', 'No free CSR id was found; try again.');
  }

  /** DescribeCSR: the record with its CSR, key and password, for its owner only. */
  async get(caller: Caller, id: number): Promise<CsrView> {
    if (!isCsrId(id) || !mayExist(id)) throw invalidCsrId(id);
    const record = await this.store.getCsr(caller.accountUin, id);
    if (!record) throw invalidCsrId(id);
    let keyPassword: string | null = null;
    let privateKey: string | null = null;
    try {
      if (record.keyPasswordSealed) keyPassword = this.sealer.openString(record.keyPasswordSealed, aad.csrKeyPassword(record.accountUin, record.id));
      if (record.status === 1 && record.privateKeySealed) {
        const plain = this.sealer.openString(record.privateKeySealed, aad.csrKey(record.accountUin, record.id));
        privateKey = keyPassword
          ? createPrivateKey(plain).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: keyPassword }).toString()
          : plain;
      }
    } catch {
      throw new ServiceError('FailedOperation.SystemError', 'The CSR\'s private key cannot be unsealed; was the master key changed?');
    }
    return { record, keyPassword, privateKey };
  }

  /** DescribeCSRSet: newest first; Limit defaults to 10 and is capped at 100. */
  async list(caller: Caller, q: CsrListQuery): Promise<{ total: number; items: CsrSummary[] }> {
    const offset = q.offset ?? 0;
    const limit = q.limit ?? DEFAULT_PAGE;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ServiceError('InvalidParameterValue', 'Offset must be a non-negative integer.');
    if (!Number.isSafeInteger(limit) || limit < 0) throw new ServiceError('InvalidParameterValue', 'Limit must be a non-negative integer.');
    let encryptAlgo: string | undefined;
    if (q.encryptAlgo !== undefined && q.encryptAlgo.trim() !== '') {
      encryptAlgo = q.encryptAlgo.trim().toUpperCase();
      if (!KEY_PARAMETERS[encryptAlgo]) throw new ServiceError('InvalidParameterValue', 'EncryptAlgo must be RSA or ECC.');
    }
    const domain = q.domain?.trim().toLowerCase();
    return this.store.listCsrs({
      accountUin: caller.accountUin,
      offset,
      limit: Math.min(limit === 0 ? DEFAULT_PAGE : limit, MAX_PAGE),
      ...(domain ? { domain } : {}),
      ...(encryptAlgo ? { encryptAlgo } : {}),
    });
  }

  /** ModifyCSR: changes a draft (fields left out stay as they are) and, with generate, fixes it. */
  async modify(caller: Caller, id: number, changes: Partial<CsrFields>, generate: boolean): Promise<number> {
    if (!isCsrId(id) || !mayExist(id)) throw invalidCsrId(id);
    const code: InvalidCode = 'InvalidParameter.WithDetailReason';
    // Compare-and-set on the revision: a concurrent change is re-read and merged again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.store.getCsr(caller.accountUin, id);
      if (!current) throw invalidCsrId(id);
      if (current.status !== 0) {
        throw new ServiceError('FailedOperation', `The CSR ${id} has been generated and can no longer be modified; create a new one instead.`);
      }
      const merged: CsrFields = {
        ...csrSubjectFields((k) => changes[k] ?? current[k]),
        keyPassword: changes.keyPassword ?? this.storedPassword(current),
      };
      const fields = checkFields(merged, code);
      const material = generate ? await this.generate(fields, 'FailedOperation') : null;
      const record = this.toRecord(current.accountUin, id, fields, current.tags, material, current.createdAt, this.clock(), current.revision);
      if (await this.store.updateDraft(record, current.revision)) return id;
    }
    throw new ServiceError('FailedOperation', `The CSR ${id} is being changed by another request; try again.`);
  }

  /**
   * BatchDeleteCSR: deletes those of the ids the caller owns and returns them. Ids that are
   * not positive integers, or a list none of whose ids names a CSR of the caller, are
   * InvalidParameter.InvalidCSRId; otherwise unknown ids are left out of the result
   * (the spec's example: 11, 22, 33 in, 22 and 33 out).
   */
  async batchDelete(caller: Caller, ids: number[]): Promise<number[]> {
    if (ids.length === 0) throw new ServiceError('InvalidParameterValue', 'CSRIds must name at least one CSR.');
    if (ids.length > MAX_BATCH_DELETE) throw new ServiceError('InvalidParameterValue', `CSRIds can name at most ${MAX_BATCH_DELETE} CSRs.`);
    const bad = ids.find((id) => !isCsrId(id));
    if (bad !== undefined) throw invalidCsrId(bad);
    const unique = [...new Set(ids)];
    const deleted = await this.store.deleteCsrs(caller.accountUin, unique.filter(mayExist));
    if (deleted.length === 0) {
      throw new ServiceError('InvalidParameter.InvalidCSRId', `None of the CSRs ${JSON.stringify(unique)} exists.`);
    }
    return deleted;
  }

  private storedPassword(r: CsrRecord): string {
    if (!r.keyPasswordSealed) return '';
    try {
      return this.sealer.openString(r.keyPasswordSealed, aad.csrKeyPassword(r.accountUin, r.id));
    } catch {
      throw new ServiceError('FailedOperation', 'The CSR\'s key password cannot be unsealed; was the master key changed?');
    }
  }

  private async generate(f: Checked, failure: 'FailedOperation' | 'FailedOperation.SystemError'): Promise<{ csrPem: string; privateKeyPem: string }> {
    try {
      const { privateKeyPem } = await generateKeyPairAsync(f.encryptAlgo as 'RSA' | 'ECC', f.keyParameter);
      const csrPem = buildCsr({ subject: f.subject, dnsNames: [f.domain], privateKey: privateKeyPem });
      return { csrPem, privateKeyPem };
    } catch (e) {
      if (isForeseen(e)) throw e;
      throw new ServiceError(failure, `The key pair or CSR could not be generated: ${(e as Error).message}`);
    }
  }

  private toRecord(
    accountUin: string, id: number, f: Checked, tags: Tag[], material: { csrPem: string; privateKeyPem: string } | null,
    createdAt: number, updatedAt: number, revision: number,
  ): CsrRecord {
    return {
      id,
      accountUin,
      ...csrSubjectFields((k) => f[k]),
      tags,
      status: material ? 1 : 0,
      csrPem: material?.csrPem ?? null,
      privateKeySealed: material ? this.sealer.seal(material.privateKeyPem, aad.csrKey(accountUin, id)) : null,
      keyPasswordSealed: f.keyPassword ? this.sealer.seal(f.keyPassword, aad.csrKeyPassword(accountUin, id)) : null,
      createdAt,
      updatedAt,
      revision,
    };
  }
}

interface Checked extends CsrFields {
  subject: { C: string; ST: string; L: string; O: string; OU: string; CN: string; emailAddress: string };
}

/**
 * Normalises and checks every field, so that a draft can always be generated later:
 * the domain by the CA's name rules (wildcards allowed), the country as an ISO 3166-1
 * alpha-2 code, the key algorithm and parameter as the spec lists them, lengths within
 * RFC 5280's bounds for the subject attributes they become.
 */
function checkFields(input: CsrFields, code: InvalidCode): Checked {
  const fail = (message: string) => new ServiceError(code, message);
  let domain: string;
  try {
    domain = normalizeDomain(input.domain, { allowWildcard: true });
  } catch (e) {
    if (e instanceof NameError) throw fail(`Domain: ${e.message}.`);
    throw e;
  }
  const text = (name: string, value: string, max: number, required: boolean) => {
    const v = value.trim();
    if (required && v === '') throw fail(`${name} must not be empty.`);
    if (CONTROL.test(v)) throw fail(`${name} contains a control character.`);
    if ([...v].length > max) throw fail(`${name} must be at most ${max} characters.`);
    return v;
  };
  const organization = text('Organization', input.organization, SUBJECT_MAX_LENGTH.O, true);
  const department = text('Department', input.department, SUBJECT_MAX_LENGTH.OU, true);
  const province = text('Province', input.province, SUBJECT_MAX_LENGTH.ST, true);
  const city = text('City', input.city, SUBJECT_MAX_LENGTH.L, true);
  const email = text('Email', input.email, 128, true);
  if (!EMAIL.test(email)) throw fail(`Email ${JSON.stringify(email)} is not an e-mail address.`);
  const country = input.country.trim().toUpperCase();
  if (!ISO3166_ALPHA2.has(country)) {
    throw fail(`Country must be an ISO 3166-1 alpha-2 code such as CN or US, got ${JSON.stringify(input.country)}.`);
  }
  const encryptAlgo = input.encryptAlgo.trim().toUpperCase();
  const allowed = KEY_PARAMETERS[encryptAlgo];
  if (!allowed) throw fail(`EncryptAlgo must be RSA or ECC, got ${JSON.stringify(input.encryptAlgo)}.`);
  const keyParameter = allowed.find((p) => p.toLowerCase() === input.keyParameter.trim().toLowerCase());
  if (!keyParameter) {
    throw fail(`KeyParameter ${JSON.stringify(input.keyParameter)} is not supported for ${encryptAlgo}; use ${allowed.join(' or ')}.`);
  }
  const remark = input.remark;
  if ([...remark].length > MAX_REMARK_LENGTH) throw fail(`Remark must be at most ${MAX_REMARK_LENGTH} characters.`);
  const keyPassword = input.keyPassword;
  if (keyPassword.length > MAX_KEY_PASSWORD_LENGTH) throw fail(`KeyPassword must be at most ${MAX_KEY_PASSWORD_LENGTH} characters.`);
  if (CONTROL.test(keyPassword)) throw fail('KeyPassword contains a control character.');
  // CN holds the domain when it fits (ub-common-name is 64); the SAN always does.
  const subject = {
    C: country, ST: province, L: city, O: organization, OU: department,
    CN: domain.length <= SUBJECT_MAX_LENGTH.CN ? domain : '', emailAddress: email,
  };
  try {
    checkSubject(subject);
  } catch (e) {
    if (e instanceof CsrError) throw fail(e.message);
    throw e;
  }
  return { domain, organization, department, email, province, city, country, encryptAlgo, keyParameter, remark, keyPassword, subject };
}

/** Each key once (the last value given wins), as for certificates; Tencent's tag limits. */
function checkTags(tags: Tag[], code: InvalidCode): Tag[] {
  const m = new Map<string, string>();
  for (const t of tags) {
    if (t.key.trim() === '' || t.key.length > 127) throw new ServiceError(code, 'TagKey must be 1 to 127 characters.');
    if (t.value.length > 255) throw new ServiceError(code, 'TagValue must be at most 255 characters.');
    m.set(t.key, t.value);
  }
  if (m.size > MAX_TAGS) throw new ServiceError(code, `A CSR can carry at most ${MAX_TAGS} tags.`);
  return [...m].map(([key, value]) => ({ key, value }));
}
