// The validator: checks one DvAuth the way a public CA does (DNS TXT through the configured
// resolvers, following CNAMEs; FILE over http then https on the name's own address), asks
// CAA (RFC 8659) before certport's own CAs sign, and writes and removes TXT records for
// DNS_AUTO through the zone's DNS provider.
import type { DnsProviderConfig } from '../config/config.js';
import type { DvAuth } from '../domain/dv-order.js';
import { checkCaa } from './caa.js';
import { checkDnsTxt, type CheckResult } from './dns.js';
import { checkHttpFile, isPublicAddress } from './http.js';
import { checkTlsAlpn, keyAuthorizationDigest } from './tls-alpn.js';
import { addTxtRecord, deleteTxtRecord } from './rfc2136.js';

export interface ValidatorSettings {
  resolvers: string[];
  allowPrivate: boolean;
  httpPort: number;
  httpsPort: number;
  providers: DnsProviderConfig[];
  /** The issuer domain names certport's own CAs answer to in CAA records; absent or null: CAA is not asked. */
  caaIdentities?: readonly string[] | null;
}

export class Validator {
  constructor(private readonly s: ValidatorSettings) {}

  private get resolvers(): string[] | undefined {
    return this.s.resolvers.length ? this.s.resolvers : undefined;
  }

  check(auth: DvAuth): Promise<CheckResult> {
    const resolvers = this.resolvers;
    if (auth.verifyType === 'TXT') return checkDnsTxt(auth.key, auth.value, { resolvers });
    return checkHttpFile({
      domain: auth.zone,
      path: (auth.path ?? '/') + auth.key,
      expected: auth.value,
      httpPort: this.s.httpPort,
      httpsPort: this.s.httpsPort,
      resolvers,
      allowPrivate: this.s.allowPrivate,
    });
  }

  /**
   * An ACME challenge (RFC 8555 8.3, 8.4; RFC 8737; RFC 8738) for a DNS name (no `*.`) or an IP
   * address, through the same resolvers, ports and address rules as the DV checks: http-01
   * fetches /.well-known/acme-challenge/<token> over http (redirects as FILE validation allows
   * them) and wants the key authorization; dns-01 wants base64url(SHA-256(key authorization)) at
   * _acme-challenge.<domain>; tls-alpn-01 wants the acmeIdentifier certificate on the HTTPS port.
   * An address is connected to itself; dns-01 cannot prove one (RFC 8738 section 7).
   */
  async checkAcme(type: string, identifier: { type: 'dns' | 'ip'; value: string }, token: string, keyAuthorization: string): Promise<CheckResult> {
    const resolvers = this.resolvers;
    const domain = identifier.value;
    const isAddress = identifier.type === 'ip';
    if (type === 'dns-01') {
      if (isAddress) return { ok: false, detail: `dns-01 cannot prove control of the IP address ${domain} (RFC 8738 section 7)` };
      return checkDnsTxt(`_acme-challenge.${domain}`, keyAuthorizationDigest(keyAuthorization), { resolvers });
    }
    if (type === 'tls-alpn-01') {
      return checkTlsAlpn({ domain, isAddress, keyAuthorization, port: this.s.httpsPort, resolvers, allowPrivate: this.s.allowPrivate });
    }
    return checkHttpFile({
      domain, isAddress, path: `/.well-known/acme-challenge/${token}`, expected: keyAuthorization, schemes: ['http:'],
      httpPort: this.s.httpPort, httpsPort: this.s.httpsPort, resolvers, allowPrivate: this.s.allowPrivate,
    });
  }

  /** Whether an address may be validated at all: public ones, and any with CERTPORT_VALIDATION_ALLOW_PRIVATE. */
  addressAllowed(ip: string): boolean {
    return this.s.allowPrivate || isPublicAddress(ip);
  }

  /** Whether CAA lets certport issue for every one of `names` (./caa.ts); null when CAA is not asked here. */
  async checkCaa(names: readonly string[]): Promise<CheckResult | null> {
    const identities = this.s.caaIdentities;
    return identities ? checkCaa(names, { identities, resolvers: this.resolvers }) : null;
  }

  /** The provider of the longest configured zone containing `name`, if any. */
  providerFor(name: string): DnsProviderConfig | null {
    const host = name.replace(/^\*\./, '').toLowerCase();
    let best: DnsProviderConfig | null = null;
    for (const p of this.s.providers) {
      if ((host === p.zone || host.endsWith('.' + p.zone)) && (!best || p.zone.length > best.zone.length)) best = p;
    }
    return best;
  }

  private target(zone: string) {
    const p = this.s.providers.find((x) => x.zone === zone);
    if (!p) throw new Error(`no DNS provider is configured for the zone ${zone} any more`);
    return { server: p.server, zone: p.zone, ...(p.tsig ? { tsig: p.tsig } : {}) };
  }

  addTxt(zone: string, name: string, value: string): Promise<void> {
    return addTxtRecord(this.target(zone), name, value);
  }

  removeTxt(zone: string, name: string, value: string): Promise<void> {
    return deleteTxtRecord(this.target(zone), name, value);
  }
}
