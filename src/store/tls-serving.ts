// The HTTPS listener's own certificate: the `tls_serving` table (one row per name).
import type { Kysely } from 'kysely';
import type { Database, TlsServingRow } from './schema.js';
import type { TlsServingRecord, TlsServingStore } from '../domain/stores.js';

const toRecord = (r: TlsServingRow): TlsServingRecord => ({
  name: r.name, certPem: r.cert_pem, keySealed: r.key_sealed, serialHex: r.serial_hex, hostnames: JSON.parse(r.hostnames) as string[],
  notBefore: Number(r.not_before), notAfter: Number(r.not_after), createdAt: Number(r.created_at),
});

export class SqlTlsServingStore implements TlsServingStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getServing(name: string) {
    const r = await this.db.selectFrom('tls_serving').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async servingSerial(name: string) {
    const r = await this.db.selectFrom('tls_serving').select('serial_hex').where('name', '=', name).executeTakeFirst();
    return r?.serial_hex ?? null;
  }

  async replaceServing(r: TlsServingRecord, expectedSerial: string | null) {
    const row = {
      cert_pem: r.certPem, key_sealed: r.keySealed, serial_hex: r.serialHex, hostnames: JSON.stringify(r.hostnames),
      not_before: r.notBefore, not_after: r.notAfter, created_at: r.createdAt,
    };
    if (expectedSerial === null) {
      const res = await this.db.insertInto('tls_serving').values({ name: r.name, ...row })
        .onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const res = await this.db.updateTable('tls_serving').set(row)
      .where('name', '=', r.name).where('serial_hex', '=', expectedSerial).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
