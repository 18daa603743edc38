// `certport tls`: the HTTPS listener's certificate from certport's CA (issue 23). It lives in
// the database, so a renewal made here reaches every running node at its next poll
// (CERTPORT_TLS_RELOAD_MS), with no signal to send.
import type { Core } from '../main.js';
import { renewAt } from '../services/tls-serving.js';
import type { TlsServingRecord } from '../domain/stores.js';

export const TLS_USAGE = `
  tls show [--json]                       the HTTPS serving certificate certport's CA issued (serial, dates, names)
  tls renew [--json]                      issue a new one now; running servers serve it within CERTPORT_TLS_RELOAD_MS`;

function describe(r: TlsServingRecord) {
  return {
    Serial: r.serialHex, NotBefore: new Date(r.notBefore).toISOString(), NotAfter: new Date(r.notAfter).toISOString(),
    RenewAt: new Date(renewAt(r.notBefore, r.notAfter)).toISOString(), Hostnames: r.hostnames,
  };
}

export async function tlsCommand(core: Core, sub: string | undefined, json: boolean): Promise<number> {
  if (sub === 'show') {
    const r = await core.stores.tlsServing.getServing('default');
    if (!r) {
      console.error('certport: no serving certificate yet (one is issued when a server starts with CERTPORT_TLS_PORT)');
      return 1;
    }
    console.log(json ? JSON.stringify(describe(r)) : Object.entries(describe(r)).map(([k, v]) => `${k}\t${Array.isArray(v) ? v.join(',') : v}`).join('\n'));
    return 0;
  }
  if (sub === 'renew') {
    // The names configured here when CERTPORT_TLS_PORT is set, else those of the stored certificate.
    const r = await core.servingFromCa(core.config.tls?.hostnames ?? null).forceRenew();
    console.log(json ? JSON.stringify(describe(r)) : `renewed: serial ${r.serialHex}, valid until ${new Date(r.notAfter).toISOString()}, for ${r.hostnames.join(', ')}`);
    return 0;
  }
  console.error(`usage:${TLS_USAGE}`);
  return 2;
}
