// `certport hosting set|show|list|off`: operators turn hosting (automatic renewal and
// replacement on the bound resources) on and off per certificate.
import type { HostingService } from '../services/hosting.js';
import type { HostingRecord } from '../domain/hosting.js';

export const HOSTING_USAGE = `
  hosting set CERT_ID --types clb,cdn,… [--replace-days N] [--messages 0,1,2,3] [--window HH:MM-HH:MM]
                                          renew CERT_ID before it expires and replace it on its bound resources of those types
                                          (--replace-days: replace N days before expiry; --window: UTC time of day replacement may start)
  hosting show CERT_ID [--json]           settings and progress
  hosting list [--account UIN] [--json]   every hosted certificate
  hosting off CERT_ID                     stop hosting`;

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
const STATUS: Record<number, string> = { 0: 'hosting', 5: 'replacing', 10: 'done' };

function line(h: HostingRecord): string {
  return [h.certId, h.accountUin, STATUS[h.status] ?? String(h.status), h.resourceTypes.join(','), h.renewCertId ?? '-',
    h.status === 10 ? `done ${when(h.completeAt)}` : `next ${when(h.nextAt)}`, h.lastError ?? ''].join('\t');
}

export async function hostingCommand(hosting: HostingService, sub: string | undefined, f: Record<string, string | true>, rest: string[], json: boolean): Promise<number> {
  // Loaded here, not with every CLI command (the admin routes bring the HTTP error mapping).
  const { hostingInput, hostingJson } = await import('../api/admin/hosting.js');
  const id = rest[0];
  const opt = (k: string) => {
    const v = f[k];
    if (v === true) throw new Error(`--${k} needs a value`);
    return v;
  };
  if (sub === 'set') {
    if (!id) throw new Error('a certificate id is required');
    const types = opt('types');
    if (!types) throw new Error('--types is required (the resource types to replace the certificate on, e.g. clb,cdn)');
    const fields: Record<string, unknown> = { types };
    for (const k of ['replace-days', 'messages', 'window']) if (opt(k) !== undefined) fields[k] = opt(k);
    const h = await hosting.enable(id, hostingInput(fields));
    console.log(json ? JSON.stringify(hostingJson(h)) : line(h));
    return 0;
  }
  if (sub === 'show') {
    if (!id) throw new Error('a certificate id is required');
    const h = await hosting.get(id);
    if (!h) throw new Error(`the certificate ${id} is not hosted`);
    console.log(json ? JSON.stringify(hostingJson(h)) : line(h));
    return 0;
  }
  if (sub === 'list') {
    const list = await hosting.list(typeof f.account === 'string' ? f.account : undefined);
    console.log(json ? JSON.stringify(list.map(hostingJson)) : list.map(line).join('\n'));
    return 0;
  }
  if (sub === 'off') {
    if (!id) throw new Error('a certificate id is required');
    if (!(await hosting.disable(id))) throw new Error(`the certificate ${id} is not hosted`);
    if (!json) console.log(`${id} no longer hosted`);
    return 0;
  }
  throw new Error(`unknown hosting command ${JSON.stringify(sub ?? '')}; see certport help`);
}
