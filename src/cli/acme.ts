// `certport acme …`: External Account Bindings and per-account policy for certport's ACME server.
import type { Core } from '../main.js';

export const ACME_USAGE = `
  acme eab create --account UIN [--json]  an External Account Binding for ACME clients: {"kid","hmacKey"} (used once)
  acme policy set --account UIN [--suffixes a.com,b.org] [--wildcard yes|no] [--max-days N] [--ip-ranges 192.0.2.0/24,2001:db8::/32|none]
                                          what the account's ACME clients may ask for (empty --suffixes: any name;
                                          IP addresses, with CERTPORT_ACME_SERVER_IP_IDENTIFIERS=1: those in --ip-ranges,
                                          or without it, any when no suffixes are set and none when they are;
                                          empty --ip-ranges: back to that)
  acme policy show --account UIN [--json]`;

export async function acmeCommand(core: Core, sub: string | undefined, rest: string[], f: Record<string, string | true>, json: boolean): Promise<number> {
  const known = (sub === 'eab' && rest[0] === 'create') || (sub === 'policy' && (rest[0] === 'set' || rest[0] === 'show'));
  if (!known) {
    console.error(`usage:${ACME_USAGE}`);
    return 2;
  }
  if (!core.acmeServer) throw new Error('the ACME server is off (CERTPORT_ACME_SERVER=0)');
  if (typeof f.account !== 'string') throw new Error('--account is required');
  if (sub === 'eab') {
    const { kid, hmacKey } = await core.acmeServer.createEab(f.account);
    console.log(json ? JSON.stringify({ kid, hmacKey }) : `kid ${kid}\nhmacKey ${hmacKey}`);
    return 0;
  }
  let p;
  if (rest[0] === 'set') {
    const wildcard = f.wildcard === undefined ? undefined : f.wildcard === 'yes' || f.wildcard === 'true' ? true
      : f.wildcard === 'no' || f.wildcard === 'false' ? false : null;
    if (wildcard === null) throw new Error('--wildcard must be yes or no');
    const days = f['max-days'];
    if (days !== undefined && (typeof days !== 'string' || !/^\d+$/.test(days))) throw new Error('--max-days must be a whole number of days');
    const suffixes = f.suffixes === undefined ? undefined : f.suffixes === true ? [] : f.suffixes.split(',');
    const r = f['ip-ranges'];
    const ipRanges = r === undefined ? undefined : r === true || r.trim() === '' ? null : r.trim() === 'none' ? [] : r.split(',');
    p = await core.acmeServer.setPolicy(f.account, { suffixes, wildcard, maxDays: days === undefined ? undefined : Number(days), ipRanges });
  } else {
    p = await core.acmeServer.policy(f.account);
  }
  console.log(json ? JSON.stringify(p)
    : `account ${p.accountUin}\nsuffixes ${p.suffixes.length ? p.suffixes.join(',') : '(any)'}\nwildcard ${p.wildcard ? 'yes' : 'no'}\nmax-days ${p.maxDays}`
      + `\nip-ranges ${p.ipRanges === null ? (p.suffixes.length ? '(none: not set, suffixes are)' : '(any: not set)') : p.ipRanges.length ? p.ipRanges.join(',') : '(none)'}`);
  return 0;
}
