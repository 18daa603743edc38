// `certport packages grant|list|revoke`: the operator grants an account paid-certificate units
// (spent by CreateCertificateByPackage, listed by DescribePackages). Opens the database alone.
import type { PackageRecord } from '../domain/package.js';
import type { PackageService } from '../services/packages.js';

export const PACKAGES_USAGE = `
  packages grant --account UIN --type ssl_100|ssl_500|ssl_2000 --expires YYYY-MM-DD [--count N] [--product PID,PID…]
               [--operator NAME] [--json]   grant units (default: the type's 100/500/2000) valid to the end of that day (UTC);
                                            --product: the ProductPids it may pay for (default any)
  packages list [--account UIN] [--json]   packages with their balances and status (usable, used, expired, refund)
  packages revoke ID [--json]              withdraw a package: its balance goes to 0 (orders made stay)`;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

function view(svc: PackageService, p: PackageRecord) {
  return {
    PackageId: p.id, Uin: p.accountUin, Type: p.type, Total: p.total, Balance: p.balance, Status: svc.status(p),
    Products: p.products, ExpireTime: day(p.expiresAt), CreateTime: day(p.createdAt), GrantedBy: p.grantedBy,
  };
}

/** `YYYY-MM-DD` → the last second of that day (UTC); a full `YYYY-MM-DDTHH:mm:ssZ` as given. */
export function parseExpiry(s: string): number {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const t = d ? Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, 23, 59, 59) : /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(t)) throw new Error(`--expires must be a date (YYYY-MM-DD), got ${JSON.stringify(s)}`);
  return t;
}

export async function packagesCommand(svc: PackageService, sub: string | undefined, f: Record<string, string | true>, rest: string[], json: boolean): Promise<number> {
  const need = (k: string) => {
    const v = f[k];
    if (typeof v !== 'string') throw new Error(`--${k} is required`);
    return v;
  };
  if (sub === 'grant') {
    const count = typeof f.count === 'string' ? Number(f.count) : undefined;
    if (count !== undefined && !/^\d+$/.test(f.count as string)) throw new Error('--count must be a whole number');
    const products = typeof f.product === 'string' ? f.product.split(',').filter(Boolean).map((x) => {
      if (!/^\d+$/.test(x.trim())) throw new Error(`--product takes ProductPids (numbers), got ${JSON.stringify(x)}`);
      return Number(x.trim());
    }) : [];
    const p = await svc.grant({
      accountUin: need('account'), type: need('type'), expiresAt: parseExpiry(need('expires')), ...(count !== undefined ? { count } : {}), products,
      grantedBy: typeof f.operator === 'string' ? f.operator : (process.env.USER ?? 'operator'),
    });
    console.log(json ? JSON.stringify(view(svc, p)) : p.id);
    return 0;
  }
  if (sub === 'list') {
    const r = await svc.list(typeof f.account === 'string' ? { accountUin: f.account } : {});
    const rows = r.items.map((p) => view(svc, p));
    console.log(json ? JSON.stringify(rows)
      : rows.map((p) => `${p.PackageId}\t${p.Uin}\t${p.Type}\t${p.Balance}/${p.Total}\t${p.Status}\t${p.ExpireTime}\t${p.Products.join(',') || 'any'}`).join('\n'));
    return 0;
  }
  if (sub === 'revoke') {
    const id = rest[0];
    if (!id) throw new Error('a package id is required');
    const p = await svc.revoke(id);
    console.log(json ? JSON.stringify(view(svc, p)) : `${id} ${svc.status(p)}`);
    return 0;
  }
  console.error(`usage:${PACKAGES_USAGE}`);
  return 2;
}
