// Packages (the `packages` and `package_usages` tables) and the paid orders spent from them.
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Database, PackageRow } from './schema.js';
import type { CertificateRecord, OperationLogRecord } from '../domain/certificate.js';
import type { PackageQuery, PackageRecord } from '../domain/package.js';
import type { PaidOrderRecord } from '../domain/paid-order.js';
import type { PackageStore } from '../domain/stores.js';
import { insertPaidOrderRows } from './paid-orders.js';

const toRecord = (r: PackageRow): PackageRecord => ({
  id: r.id,
  accountUin: r.account_uin,
  type: r.type,
  total: Number(r.total),
  balance: Number(r.balance),
  products: JSON.parse(r.products) as number[],
  grantedBy: r.granted_by,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

type Eb = ExpressionBuilder<Database, 'packages'>;

/** The filters of a PackageQuery but the status (DescribePackages' TotalBalance counts usable ones among them). */
function filters(eb: Eb, q: PackageQuery): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  if (q.accountUin !== undefined) out.push(eb('account_uin', '=', q.accountUin));
  if (q.packageId !== undefined) out.push(eb('id', '=', q.packageId));
  if (q.type !== undefined) out.push(eb('type', '=', q.type));
  if (q.pid !== undefined) {
    // products is a JSON array of integers: the pid as a whole element, or [] (any product).
    const n = String(Math.trunc(q.pid));
    out.push(eb.or([eb('products', '=', '[]'), eb('products', '=', `[${n}]`), eb('products', 'like', `[${n},%`),
      eb('products', 'like', `%,${n},%`), eb('products', 'like', `%,${n}]`)]));
  }
  return out;
}

function statusFilter(eb: Eb, status: PackageQuery['status'], now: number): Expression<SqlBool> {
  const live = [eb('revoked_at', 'is', null), eb('expires_at', '>', now)];
  switch (status) {
    case 'refund': return eb('revoked_at', 'is not', null);
    case 'expired': return eb.and([eb('revoked_at', 'is', null), eb('expires_at', '<=', now)]);
    case 'used': return eb.and([...live, eb('balance', '=', 0)]);
    default: return eb.and([...live, eb('balance', '>', 0)]);
  }
}

/** A concurrent spender changed a balance between the read and the conditional UPDATE: try again. */
class Raced extends Error {}
/** The renewed certificate already has a renewal order: undo everything. */
class Renewed extends Error {}

export class SqlPackageStore implements PackageStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertPackage(p: PackageRecord) {
    await this.db.insertInto('packages').values({
      id: p.id, account_uin: p.accountUin, type: p.type, total: p.total, balance: p.balance, products: JSON.stringify(p.products),
      granted_by: p.grantedBy, created_at: p.createdAt, updated_at: p.updatedAt, expires_at: p.expiresAt, revoked_at: p.revokedAt,
    }).execute();
  }

  async getPackage(id: string) {
    const r = await this.db.selectFrom('packages').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async listPackages(q: PackageQuery) {
    const where = (eb: Eb) => eb.and([...filters(eb, q), ...(q.status ? [statusFilter(eb, q.status, q.now)] : [])]);
    const order = q.expireOrder ?? null;
    let page = this.db.selectFrom('packages').selectAll().where(where);
    page = order ? page.orderBy('expires_at', order).orderBy('id') : page.orderBy('created_at', 'desc').orderBy('id');
    const [rows, count, balance] = await Promise.all([
      page.limit(q.limit).offset(q.offset).execute(),
      this.db.selectFrom('packages').select((eb) => eb.fn.countAll().as('n')).where(where).executeTakeFirstOrThrow(),
      this.db.selectFrom('packages').select((eb) => eb.fn.sum<number>('balance').as('b'))
        .where((eb) => eb.and([...filters(eb, q), statusFilter(eb, 'usable', q.now)])).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toRecord), total: Number(count.n), totalBalance: Number(balance.b ?? 0) };
  }

  async revokePackage(id: string, now: number) {
    const r = await this.db.updateTable('packages').set({ revoked_at: now, balance: 0, updated_at: now })
      .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async spendPackages(accountUin: string, packageIds: string[], units: number, now: number,
    items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[], renewal: string | null): Promise<'ok' | 'insufficient' | 'renewed'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const rows = await tx.selectFrom('packages').select(['id', 'balance']).where('id', 'in', packageIds).where('account_uin', '=', accountUin)
            .where('revoked_at', 'is', null).where('expires_at', '>', now).execute();
          const balance = new Map(rows.map((r) => [r.id, Number(r.balance)]));
          // What each package gives, in the order the caller listed them.
          const takes: { id: string; units: number }[] = [];
          let left = units;
          for (const id of packageIds) {
            const n = Math.min(balance.get(id) ?? 0, left);
            if (n > 0) takes.push({ id, units: n });
            left -= n;
          }
          if (left > 0) return 'insufficient' as const;
          for (const t of takes) {
            // The one statement that spends: it cannot take more than is there, whoever else is spending.
            const r = await tx.updateTable('packages').set((eb) => ({ balance: eb('balance', '-', t.units), updated_at: now }))
              .where('id', '=', t.id).where('balance', '>=', t.units).where('revoked_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
            if (Number(r.numUpdatedRows) !== 1) throw new Raced();
          }
          await insertPaidOrderRows(tx, items);
          if (renewal !== null) {
            const first = items[0]!.cert.id;
            const r = await tx.updateTable('certificates').set({ renew_order_id: first, updated_at: now })
              .where('id', '=', renewal).where('renew_order_id', 'is', null).executeTakeFirst();
            if (Number(r.numUpdatedRows) !== 1) throw new Renewed();
            await tx.updateTable('certificates').set({ origin_cert_id: renewal, updated_at: now }).where('id', '=', first).execute();
          }
          // Which package paid for which certificate (each costs units / items.length), for refunds.
          const per = units / items.length;
          const usage = new Map<string, number>();
          let t = 0;
          for (const { cert } of items) {
            let need = per;
            while (need > 0) {
              const take = takes[t]!;
              const n = Math.min(take.units, need);
              const key = `${take.id}\n${cert.id}`;
              usage.set(key, (usage.get(key) ?? 0) + n);
              take.units -= n;
              need -= n;
              if (take.units === 0) t++;
            }
          }
          for (const [key, n] of usage) {
            const [packageId, certId] = key.split('\n') as [string, string];
            await tx.insertInto('package_usages').values({ package_id: packageId, cert_id: certId, units: n, created_at: now }).execute();
          }
          return 'ok' as const;
        });
      } catch (e) {
        if (e instanceof Renewed) return 'renewed';
        if (e instanceof Raced && attempt < 20) continue;
        if (e instanceof Raced) return 'insufficient';
        throw e;
      }
    }
  }

  async refundPackages(certId: string, now: number) {
    await this.db.transaction().execute(async (tx) => {
      const used = await tx.selectFrom('package_usages').selectAll().where('cert_id', '=', certId).execute();
      for (const u of used) {
        // A withdrawn package stays at 0.
        await tx.updateTable('packages').set((eb) => ({ balance: eb('balance', '+', Number(u.units)), updated_at: now }))
          .where('id', '=', u.package_id).where('revoked_at', 'is', null).execute();
      }
      await tx.deleteFrom('package_usages').where('cert_id', '=', certId).execute();
    });
  }
}

