// Revocations, blocked keys and CRLs: the `revocations`, `blocked_keys` and `crls` tables (0020).
import { sql, type Kysely } from 'kysely';
import type { Database, RevocationRow } from './schema.js';
import type { OperationLogRecord } from '../domain/certificate.js';
import type { NewJob } from '../domain/job.js';
import type { CrlIssuer, RevocationRecord, RevokedSerial } from '../domain/revocation.js';
import type { RevocationStep, RevocationStore } from '../domain/stores.js';
import { insertLog } from './operation-log.js';
import { upsertJob } from './jobs.js';

export const record = (r: RevocationRow): RevocationRecord => ({
  certId: r.cert_id,
  accountUin: r.account_uin,
  serialHex: r.serial_hex,
  crlIssuer: (r.crl_issuer as CrlIssuer | null) ?? null,
  reason: Number(r.reason),
  state: r.state as RevocationRecord['state'],
  requestedAt: Number(r.requested_at),
  requestedBy: r.requested_by,
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  auths: r.auths ? JSON.parse(r.auths) : null,
  lastCheckDetail: r.last_check_detail,
  letterSealed: r.letter_sealed,
  letterType: r.letter_type,
  confirmedBy: r.confirmed_by,
  spkiSha256: r.spki_sha256,
});

export class SqlRevocationStore implements RevocationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async startRevocation(r: RevocationRecord & { encryptSerialHex?: string | null }, status: { from: number[]; to: number }, log: OperationLogRecord, jobs: NewJob[] = []) {
    return this.db.transaction().execute(async (tx) => {
      const moved = await tx.updateTable('certificates').set({ status: status.to, updated_at: log.createdAt })
        .where('id', '=', r.certId).where('status', 'in', status.from).executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      // A revocation that never finished (its certificate went back to issued) is replaced.
      await tx.deleteFrom('revocations').where('cert_id', '=', r.certId).where('state', '<>', 'revoked').execute();
      await tx.insertInto('revocations').values({
        cert_id: r.certId, account_uin: r.accountUin, serial_hex: r.serialHex, encrypt_serial_hex: r.encryptSerialHex ?? null, crl_issuer: r.crlIssuer,
        reason: r.reason, state: r.state, requested_at: r.requestedAt, requested_by: r.requestedBy, revoked_at: r.revokedAt,
        auths: r.auths ? JSON.stringify(r.auths) : null, last_check_detail: r.lastCheckDetail, letter_sealed: r.letterSealed, letter_type: r.letterType,
        confirmed_by: r.confirmedBy, spki_sha256: r.spkiSha256,
      }).execute();
      await insertLog(tx, log);
      for (const j of jobs) await upsertJob(tx, j, log.createdAt);
      return true;
    });
  }

  async getRevocation(certId: string) {
    const r = await this.db.selectFrom('revocations').selectAll().where('cert_id', '=', certId).executeTakeFirst();
    return r ? record(r) : null;
  }

  async getRevocations(certIds: string[]) {
    const out = new Map<string, RevocationRecord>();
    if (certIds.length === 0) return out;
    for (const r of await this.db.selectFrom('revocations').selectAll().where('cert_id', 'in', certIds).execute()) out.set(r.cert_id, record(r));
    return out;
  }

  async stepRevocation(certId: string, fromStates: RevocationRecord['state'][], step: RevocationStep) {
    return this.db.transaction().execute(async (tx) => {
      const p = step.patch;
      const set: Partial<RevocationRow> = {};
      if (p.state !== undefined) set.state = p.state;
      if (p.auths !== undefined) set.auths = p.auths ? JSON.stringify(p.auths) : null;
      if (p.lastCheckDetail !== undefined) set.last_check_detail = p.lastCheckDetail;
      if (p.letterSealed !== undefined) set.letter_sealed = p.letterSealed;
      if (p.letterType !== undefined) set.letter_type = p.letterType;
      if (p.confirmedBy !== undefined) set.confirmed_by = p.confirmedBy;
      if (p.revokedAt !== undefined) set.revoked_at = p.revokedAt;
      const r = await tx.updateTable('revocations').set(set).where('cert_id', '=', certId).where('state', 'in', fromStates).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      if (step.status) {
        const now = step.log?.createdAt ?? Date.now();
        const moved = await tx.updateTable('certificates').set({ status: step.status.to, updated_at: now })
          .where('id', '=', certId).where('status', 'in', step.status.from).executeTakeFirst();
        // A deleted certificate stays revoked in the CRL; one whose status moved elsewhere refuses the step.
        const gone = !(await tx.selectFrom('certificates').select('id').where('id', '=', certId).executeTakeFirst());
        if (Number(moved.numUpdatedRows) !== 1 && !gone) throw new StepRefused();
      }
      if (step.log) await insertLog(tx, step.log);
      for (const j of step.jobs ?? []) await upsertJob(tx, j, step.log?.createdAt ?? Date.now());
      return true;
    }).catch((e: unknown) => {
      if (e instanceof StepRefused) return false;
      throw e;
    });
  }

  async listRevocations(q: { states?: RevocationRecord['state'][]; accountUin?: string; limit: number }) {
    let s = this.db.selectFrom('revocations').selectAll();
    if (q.states?.length) s = s.where('state', 'in', q.states);
    if (q.accountUin) s = s.where('account_uin', '=', q.accountUin);
    return (await s.orderBy('requested_at').limit(q.limit).execute()).map(record);
  }

  async revokedSerials(issuer: CrlIssuer): Promise<RevokedSerial[]> {
    const rows = await this.db.selectFrom('revocations').select(['serial_hex', 'encrypt_serial_hex', 'revoked_at', 'reason'])
      .where('crl_issuer', '=', issuer).where('state', '=', 'revoked').orderBy('revoked_at').execute();
    const out: RevokedSerial[] = [];
    for (const r of rows) {
      out.push({ serialHex: r.serial_hex, revokedAt: Number(r.revoked_at), reason: Number(r.reason) });
      if (r.encrypt_serial_hex) out.push({ serialHex: r.encrypt_serial_hex, revokedAt: Number(r.revoked_at), reason: Number(r.reason) });
    }
    return out;
  }

  async revokedSerial(issuer: CrlIssuer, serialHex: string): Promise<RevokedSerial | null> {
    const r = await this.db.selectFrom('revocations').select(['revoked_at', 'reason'])
      .where('crl_issuer', '=', issuer).where('state', '=', 'revoked')
      .where((eb) => eb.or([eb('serial_hex', '=', serialHex), eb('encrypt_serial_hex', '=', serialHex)])).executeTakeFirst();
    return r ? { serialHex, revokedAt: Number(r.revoked_at), reason: Number(r.reason) } : null;
  }

  async serialIssued(serialHex: string) {
    const r = await this.db.selectFrom('certificates').select('id').where('serial_hex', '=', serialHex).where('source', '<>', 'upload').executeTakeFirst();
    if (r) return true;
    // The encryption half of an SM2 pair has its own serial, only in its PEM; a revoked one is known here.
    const rev = await this.db.selectFrom('revocations').select('cert_id')
      .where((eb) => eb.or([eb('serial_hex', '=', serialHex), eb('encrypt_serial_hex', '=', serialHex)])).executeTakeFirst();
    return !!rev;
  }

  async certificatesWithKey(spkiSha256: string) {
    const rows = await this.db.selectFrom('certificate_material as m').innerJoin('certificates as c', 'c.id', 'm.cert_id')
      .select(['c.id', 'c.account_uin', 'c.status', 'c.source']).where('m.spki_sha256', '=', spkiSha256).execute();
    return rows.map((r) => ({ id: r.id, accountUin: r.account_uin, status: Number(r.status), source: r.source }));
  }

  async blockKey(spkiSha256: string, certId: string, now: number) {
    await sql`insert into blocked_keys (spki_sha256, cert_id, blocked_at) values (${spkiSha256}, ${certId}, ${now}) on conflict (spki_sha256) do nothing`.execute(this.db);
  }

  async isKeyBlocked(spkiSha256: string) {
    return !!(await this.db.selectFrom('blocked_keys').select('spki_sha256').where('spki_sha256', '=', spkiSha256).executeTakeFirst());
  }

  async getCrl(issuer: CrlIssuer) {
    const r = await this.db.selectFrom('crls').selectAll().where('issuer', '=', issuer).executeTakeFirst();
    return r ? { crlNumber: Number(r.crl_number), thisUpdate: Number(r.this_update), nextUpdate: Number(r.next_update), der: Buffer.from(r.der_base64, 'base64') } : null;
  }

  async putCrl(issuer: CrlIssuer, crl: { crlNumber: number; thisUpdate: number; nextUpdate: number; der: Buffer }) {
    const r = await sql<{ issuer: string }>`insert into crls (issuer, crl_number, this_update, next_update, der_base64)
      values (${issuer}, ${crl.crlNumber}, ${crl.thisUpdate}, ${crl.nextUpdate}, ${crl.der.toString('base64')})
      on conflict (issuer) do update set crl_number = excluded.crl_number, this_update = excluded.this_update,
        next_update = excluded.next_update, der_base64 = excluded.der_base64
      where crls.crl_number < excluded.crl_number
      returning issuer`.execute(this.db);
    return r.rows.length === 1;
  }
}

class StepRefused extends Error {}
