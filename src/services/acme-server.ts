// certport's own ACME server (RFC 8555): the rules and the state machine behind the wire
// format in api/acme/. Accounts are bound to certport accounts (External Account Binding, or
// the configured default); orders hold DNS names (wildcards by dns-01 only) and, when the
// operator turns them on, IP addresses (RFC 8738: http-01 and tls-alpn-01 only); challenges are
// checked with certport's validator (its resolvers, ports and address rules); a ready order is
// finalized with a CSR whose names are exactly the order's, signed by certport's CA, and the
// certificate becomes a normal certport certificate of the bound account (source `acme-server`).
//
//   authz:  pending ──challenge passes──► valid        order: pending ──all authz valid──► ready
//              └──────challenge fails──► invalid               └──an authz invalid──► invalid
//                                                             ready ──finalize──► processing ──► valid
import { randomBytes } from 'node:crypto';
import {
  AcmeProblem, type AcmePolicy, type AcmeAuthz, type AcmeChallenge, type AcmeChallengeType, type AcmeIdentifier, type AcmeOrder,
  type AcmeServerAccount, type AcmeServerStore, type Jwk,
} from '../domain/acme-server.js';
import type { AccountStore } from '../domain/stores.js';
import type { Clock } from '../domain/clock.js';
import { quietLog, type Log } from '../domain/log.js';
import type { Issuer } from '../ca/issuer.js';
import type { CrossChains } from '../ca/cross-chains.js';
import { parseCsr } from '../pki/csr-parse.js';
import { toPem } from '../pki/pem.js';
import type { Sealer } from '../secrets/sealer.js';
import { aad } from '../secrets/aad.js';
import type { Validator } from '../validation/validator.js';
import { NameError, normalizeDomain, registeredDomain } from '../validation/names.js';
import { canonicalIp, inPrefix, ipBytes, ipText, parsePrefix } from '../pki/ip.js';
import { effectiveStatus, type CertificateService } from './certificates.js';
import type { RevocationService } from './revocations.js';
import { CertStatus } from '../domain/certificate.js';
import { ServiceError } from '../domain/errors.js';
import { parseReason } from '../domain/revocation.js';
import { csrSpki, spkiSha256, spkiSha256OfPem } from '../pki/revocation.js';
import { authorityKeyId } from '../pki/aki.js';
import { pemDer } from '../pki/pem.js';

export const ACME_SERVER_SOURCE = 'acme-server';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long a nonce stays good. */
export const NONCE_MS = HOUR;
const ORDER_MS = 7 * DAY;
const AUTHZ_PENDING_MS = 7 * DAY;
/** A valid authorization is reused for later orders of the same account this long (Let's Encrypt: 30 days). */
const AUTHZ_VALID_MS = 30 * DAY;
/** A challenge left in `processing` this long (its node went away) is checked again. */
const STALE_PROCESSING_MS = 60_000;
const MAX_NAMES = 100;
const WEEK = 7 * DAY;

/** The sorted identifiers of an order: the same set again is a renewal (and an order to hand back). */
const namesKey = (ids: AcmeIdentifier[]) => ids.map((i) => `${i.type}:${i.value}`).sort().join(',');

export interface AcmeServerSettings {
  /** `required`: newAccount needs an External Account Binding; `optional`: without one the account goes to defaultAccountUin. */
  eab: 'required' | 'optional';
  defaultAccountUin: string | null;
  validityDays: number;
  /** Certificates per registered domain and 7 days, all accounts together; renewals exempt. 0 or absent: no limit. */
  certsPerDomainPerWeek?: number;
  /** IP address identifiers (RFC 8738); absent or false: unsupportedIdentifier. */
  ipIdentifiers?: boolean;
}

export type AcmeValidator = Pick<Validator, 'checkAcme' | 'checkCaa' | 'addressAllowed'>;

/**
 * What the per-domain limit counts an identifier under: a DNS name's registered domain; an
 * IPv4 address itself; an IPv6 address's /64 (what one site is usually given, as Let's Encrypt counts).
 */
export function limitUnit(i: AcmeIdentifier): string {
  if (i.type !== 'ip') return registeredDomain(i.value);
  const b = ipBytes(i.value);
  if (!b || b.length === 4) return i.value;
  return `${ipText(Buffer.concat([b.subarray(0, 8), Buffer.alloc(8)]))}/64`;
}

const newId = () => randomBytes(16).toString('base64url');

/** `*.name` for a wildcard authorization, else the name. */
export const authzName = (a: Pick<AcmeAuthz, 'identifier' | 'wildcard'>) => (a.wildcard ? '*.' : '') + a.identifier.value;

export class AcmeServerService {
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: AcmeServerStore,
    private readonly accounts: Pick<AccountStore, 'getAccount'>,
    private readonly certificates: Pick<CertificateService, 'recordIssued' | 'findAnywhere' | 'findBySerial'>,
    private readonly issuer: Pick<Issuer, 'finalize' | 'label'>,
    private readonly validator: AcmeValidator,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: AcmeServerSettings,
    private readonly log: Log = quietLog,
    /** revokeCert goes through certport's revocation (CRL, OCSP, keyCompromise); null: refused. */
    private readonly revocations: Pick<RevocationService, 'findByLeafDer' | 'revokeByAcme' | 'isKeyBlocked'> | null = null,
    /** Cross-signed CA certificates (CERTPORT_CA_CROSS_CERTS_FILE): each certificate's alternate chains. */
    private readonly crossChains: Pick<CrossChains, 'alternates'> | null = null,
  ) {}

  // ---- nonces

  async newNonce(): Promise<string> {
    const nonce = randomBytes(16).toString('base64url');
    const now = this.clock();
    await this.store.putNonce(nonce, now + NONCE_MS);
    // Now and then, expired nonces go (any node may do it).
    if (Math.random() < 0.01) await this.store.sweepNonces(now).catch(() => {});
    return nonce;
  }

  /** badNonce unless the nonce was handed out by some node and not used yet. */
  async useNonce(nonce: unknown): Promise<void> {
    if (typeof nonce !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(nonce) || !(await this.store.takeNonce(nonce, this.clock()))) {
      throw new AcmeProblem('badNonce', 'The nonce is unknown, expired or already used; retry with the Replay-Nonce of this answer.');
    }
  }

  // ---- accounts

  /** The account behind a `kid`, usable: valid, and its certport account active. */
  async accountById(id: string): Promise<AcmeServerAccount> {
    const a = await this.store.getAccount(id);
    if (!a) throw new AcmeProblem('accountDoesNotExist', 'No ACME account has this URL.', 400);
    if (a.status !== 'valid') throw new AcmeProblem('unauthorized', `The ACME account is ${a.status}.`, 403);
    await this.requireActive(a.accountUin);
    return a;
  }

  private async requireActive(accountUin: string): Promise<void> {
    const owner = await this.accounts.getAccount(accountUin);
    if (!owner || owner.status !== 'active') throw new AcmeProblem('unauthorized', `The certport account ${accountUin} this ACME account is bound to is disabled.`, 403);
  }

  /**
   * newAccount (RFC 8555 7.3): the existing account of the key, or a new one bound by EAB (`eab`
   * checks the binding's MAC with its key) or, when EAB is optional and none is given, to the default account.
   */
  async newAccount(req: {
    jwk: Jwk; thumbprint: string; contact: string[]; onlyReturnExisting: boolean; termsOfServiceAgreed: boolean;
    eab: { kid: string; verify: (hmacKey: Buffer) => boolean } | null;
  }): Promise<{ account: AcmeServerAccount; created: boolean }> {
    const existing = await this.store.findAccountByThumbprint(req.thumbprint);
    if (existing) {
      if (existing.status !== 'valid') throw new AcmeProblem('unauthorized', `The ACME account of this key is ${existing.status}.`, 403);
      await this.requireActive(existing.accountUin);
      return { account: existing, created: false };
    }
    if (req.onlyReturnExisting) throw new AcmeProblem('accountDoesNotExist', 'No ACME account exists for this key.', 400);
    checkContact(req.contact);
    let accountUin: string;
    let eabKid: string | null = null;
    if (req.eab) {
      const binding = await this.store.getEab(req.eab.kid);
      if (!binding) throw new AcmeProblem('unauthorized', `No External Account Binding has the key id ${JSON.stringify(req.eab.kid)}.`, 403);
      if (!req.eab.verify(Buffer.from(this.sealer.openString(binding.hmacSealed, aad.acmeEab(binding.kid)), 'base64url'))) {
        throw new AcmeProblem('unauthorized', 'The External Account Binding\'s signature does not verify with its key.', 403);
      }
      if (binding.usedAt !== null) throw new AcmeProblem('unauthorized', 'This External Account Binding was used already; make a new one.', 403);
      await this.requireActive(binding.accountUin);
      accountUin = binding.accountUin;
      eabKid = binding.kid;
    } else if (this.settings.eab === 'optional' && this.settings.defaultAccountUin) {
      accountUin = this.settings.defaultAccountUin;
      await this.requireActive(accountUin);
    } else {
      throw new AcmeProblem('externalAccountRequired', 'This server binds every ACME account to a certport account: make a binding with `certport acme eab create --account UIN` and send it (externalAccountBinding).', 400);
    }
    const account: AcmeServerAccount = {
      id: newId(), thumbprint: req.thumbprint, jwk: req.jwk, accountUin, status: 'valid', contact: req.contact, eabKid, createdAt: this.clock(),
    };
    if (!(await this.store.createAccountWithEab(account, eabKid, account.createdAt))) {
      throw new AcmeProblem('unauthorized', 'This External Account Binding was used already; make a new one.', 403);
    }
    this.log.info({ acmeAccount: account.id, accountUin, eabKid }, 'ACME account created');
    return { account, created: true };
  }

  async updateAccount(a: AcmeServerAccount, p: { contact?: unknown; status?: unknown }): Promise<AcmeServerAccount> {
    if (p.status !== undefined && p.status !== 'deactivated') throw new AcmeProblem('malformed', 'An account can only be changed to status "deactivated".');
    const contact = p.contact === undefined ? undefined : checkContact(p.contact);
    const patch = { ...(contact ? { contact } : {}), ...(p.status ? { status: 'deactivated' as const } : {}) };
    if (Object.keys(patch).length) await this.store.updateAccount(a.id, patch);
    return { ...a, ...patch };
  }

  /** keyChange (RFC 8555 7.3.5): the account takes the new key unless another account has it. */
  async changeKey(a: AcmeServerAccount, jwk: Jwk, thumbprint: string): Promise<void> {
    const other = await this.store.findAccountByThumbprint(thumbprint);
    if (other) throw new AcmeProblem('conflict', 'Another account already uses the new key.', 409);
    await this.store.updateAccount(a.id, { jwk, thumbprint });
  }

  /** `certport acme eab create`: a binding of `accountUin`, used once; the HMAC key is 32 random bytes. */
  async createEab(accountUin: string): Promise<{ kid: string; hmacKey: string }> {
    if (!(await this.accounts.getAccount(accountUin))) throw new AcmeProblem('malformed', `No certport account ${accountUin}.`);
    const kid = 'kid-' + randomBytes(12).toString('base64url');
    const hmacKey = randomBytes(32).toString('base64url');
    await this.store.putEab({ kid, accountUin, hmacSealed: this.sealer.seal(hmacKey, aad.acmeEab(kid)), createdAt: this.clock(), usedAt: null, acmeAccountId: null });
    return { kid, hmacKey };
  }

  // ---- policy

  /** The account's policy, or the default: any name, wildcards, the server's validity. */
  async policy(accountUin: string): Promise<AcmePolicy> {
    const p = await this.store.getPolicy(accountUin);
    const max = this.settings.validityDays;
    return p ? { ...p, maxDays: Math.min(p.maxDays, max) } : { accountUin, suffixes: [], wildcard: true, maxDays: max, ipRanges: null };
  }

  /** `certport acme policy set`: unchanged fields keep their value; `ipRanges: null` goes back to "not set". */
  async setPolicy(accountUin: string, p: { suffixes?: string[]; wildcard?: boolean; maxDays?: number; ipRanges?: string[] | null }): Promise<AcmePolicy> {
    if (!(await this.accounts.getAccount(accountUin))) throw new AcmeProblem('malformed', `No certport account ${accountUin}.`);
    const cur = await this.policy(accountUin);
    const suffixes = p.suffixes?.filter((s) => s.trim() !== '').map((s) => {
      try {
        return normalizeDomain(s.trim().replace(/^\./, ''), { allowWildcard: false });
      } catch (e) {
        throw new AcmeProblem('malformed', `The suffix ${JSON.stringify(s)} is not a domain name: ${(e as Error).message}`);
      }
    });
    const maxDays = p.maxDays ?? cur.maxDays;
    if (!Number.isInteger(maxDays) || maxDays < 1 || maxDays > this.settings.validityDays) {
      throw new AcmeProblem('malformed', `The maximum validity must be 1 to ${this.settings.validityDays} days (CERTPORT_ACME_SERVER_VALIDITY_DAYS).`);
    }
    const ipRanges = p.ipRanges === undefined ? cur.ipRanges : p.ipRanges === null ? null : [...new Set(p.ipRanges.filter((r) => r.trim() !== '').map((r) => {
      const prefix = parsePrefix(r);
      if (!prefix) throw new AcmeProblem('malformed', `The address range ${JSON.stringify(r)} is not an address or a CIDR prefix with its host bits zero (192.0.2.0/24, 2001:db8::/32).`);
      return prefix.text;
    }))];
    const next: AcmePolicy = { accountUin, suffixes: suffixes ?? cur.suffixes, wildcard: p.wildcard ?? cur.wildcard, maxDays, ipRanges };
    await this.store.putPolicy(next, this.clock());
    return next;
  }

  /**
   * rejectedIdentifier, with a subproblem per name, for names the account's policy does not
   * allow. Addresses: within the policy's ranges; with none set, any for an account without
   * suffixes and none for one held to suffixes (a domain-limited account gets no address by default).
   */
  private checkPolicy(p: AcmePolicy, identifiers: AcmeIdentifier[]): void {
    const subproblems = identifiers.flatMap((i) => {
      if (i.type === 'ip') {
        const ranges = p.ipRanges ?? (p.suffixes.length ? [] : null);
        const detail = ranges === null || ranges.some((r) => { const x = parsePrefix(r); return !!x && inPrefix(i.value, x); }) ? null
          : ranges.length ? `${i.value} is outside this account's allowed address ranges (${ranges.join(', ')}).`
            : p.ipRanges === null ? `IP addresses are not allowed for this account: its policy holds it to domains (${p.suffixes.join(', ')}) and lists no address ranges.`
              : 'IP addresses are not allowed for this account.';
        return detail ? [{ type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail, identifier: i }] : [];
      }
      const wildcard = i.value.startsWith('*.');
      const base = wildcard ? i.value.slice(2) : i.value;
      const detail = wildcard && !p.wildcard ? 'Wildcard names are not allowed for this account.'
        : p.suffixes.length && !p.suffixes.some((s) => base === s || base.endsWith('.' + s))
          ? `${i.value} is outside this account's allowed domains (${p.suffixes.join(', ')}).` : null;
      return detail ? [{ type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail, identifier: i }] : [];
    });
    if (subproblems.length) {
      throw new AcmeProblem('rejectedIdentifier', `${subproblems.length} identifier(s) are not allowed by the account's policy: ${subproblems.map((s) => s.detail).join(' ')}`, 400, { subproblems });
    }
  }

  // ---- orders and authorizations

  async newOrder(a: AcmeServerAccount, p: { identifiers?: unknown; notBefore?: unknown; notAfter?: unknown }): Promise<AcmeOrder> {
    if (p.notBefore !== undefined || p.notAfter !== undefined) {
      throw new AcmeProblem('malformed', `notBefore and notAfter are not supported: certificates here are valid ${this.settings.validityDays} days from issuance.`);
    }
    const identifiers = this.checkIdentifiers(p.identifiers);
    this.checkPolicy(await this.policy(a.accountUin), identifiers);
    const now = this.clock();
    const key = namesKey(identifiers);
    const reusable = await this.store.findReusableOrder(a.id, key, now);
    if (reusable) return this.refreshOrder(reusable);
    await this.checkDomainLimit(identifiers, now);
    const authzs: AcmeAuthz[] = [];
    const authzIds: string[] = [];
    for (const ident of identifiers) {
      const wildcard = ident.value.startsWith('*.');
      const value = wildcard ? ident.value.slice(2) : ident.value;
      const identifier: AcmeIdentifier = { type: ident.type, value };
      const valid = await this.store.findValidAuthz(a.id, identifier, wildcard, now + ORDER_MS);
      if (valid) {
        authzIds.push(valid.id);
        continue;
      }
      // RFC 8738 section 7: no dns-01 for an address (there is no name to put a TXT record under).
      const types: AcmeChallengeType[] = wildcard ? ['dns-01'] : ident.type === 'ip' ? ['http-01', 'tls-alpn-01'] : ['http-01', 'dns-01', 'tls-alpn-01'];
      const authz: AcmeAuthz = {
        id: newId(), acmeAccountId: a.id, identifier, wildcard, status: 'pending', expiresAt: now + AUTHZ_PENDING_MS,
        challenges: types.map((type): AcmeChallenge => ({ type, token: randomBytes(32).toString('base64url'), status: 'pending', validated: null, error: null })),
        createdAt: now, updatedAt: now,
      };
      authzs.push(authz);
      authzIds.push(authz.id);
    }
    const order: AcmeOrder = {
      id: newId(), acmeAccountId: a.id, accountUin: a.accountUin, status: 'pending', identifiers, authzIds,
      expiresAt: now + ORDER_MS, error: null, certificateId: null, createdAt: now, updatedAt: now,
    };
    await this.store.insertOrder(order, authzs);
    return this.refreshOrder(order);
  }

  /**
   * Let's Encrypt's "new certificates per registered domain": at most N certificates in 7 days
   * whose names fall under one registered domain, whichever account asks (issuing needs control
   * of the names, so one domain's owners share its budget). A renewal — exactly the identifiers
   * of a certificate issued before — is not held back, though it counts. Beyond the limit:
   * rateLimited with Retry-After, the time until the oldest issuance that blocks leaves the window.
   */
  private async checkDomainLimit(identifiers: AcmeIdentifier[], now: number): Promise<void> {
    const limit = this.settings.certsPerDomainPerWeek ?? 0;
    if (limit <= 0 || (await this.store.issuedBefore(namesKey(identifiers)))) return;
    const over: { domain: string; freeAt: number }[] = [];
    for (const domain of new Set(identifiers.map(limitUnit))) {
      const times = await this.store.issuancesOfDomain(domain, now - WEEK, limit);
      // The limit-th newest issuance: once it is a week old, one more certificate fits.
      if (times.length >= limit) over.push({ domain, freeAt: times[limit - 1]! + WEEK });
    }
    if (!over.length) return;
    const retryAfterS = Math.max(1, Math.ceil((Math.max(...over.map((x) => x.freeAt)) - now) / 1000));
    const subproblems = identifiers.flatMap((i) => over.some((x) => x.domain === limitUnit(i))
      ? [{ type: 'urn:ietf:params:acme:error:rateLimited', detail: `${limitUnit(i)} has had ${limit} certificates in the last 7 days.`, identifier: i }] : []);
    throw new AcmeProblem('rateLimited',
      `Too many certificates for ${over.map((x) => x.domain).join(', ')}: at most ${limit} per registered domain in 7 days (CERTPORT_ACME_SERVER_CERTS_PER_DOMAIN_PER_WEEK); retry after ${new Date(now + retryAfterS * 1000).toISOString()}.`,
      429, { retryAfterS, subproblems });
  }

  private checkIdentifiers(raw: unknown): AcmeIdentifier[] {
    if (!Array.isArray(raw) || raw.length === 0) throw new AcmeProblem('malformed', 'identifiers must be a non-empty array.');
    if (raw.length > MAX_NAMES) throw new AcmeProblem('rejectedIdentifier', `An order may hold at most ${MAX_NAMES} identifiers.`);
    const out = new Map<string, AcmeIdentifier>();
    const subproblems: { type: string; detail: string; identifier: AcmeIdentifier }[] = [];
    const refuse = (type: string, detail: string, identifier: AcmeIdentifier) => subproblems.push({ type: `urn:ietf:params:acme:error:${type}`, detail, identifier });
    const ipOn = this.settings.ipIdentifiers === true;
    for (const i of raw as { type?: unknown; value?: unknown }[]) {
      if (!i || typeof i !== 'object' || typeof i.type !== 'string' || typeof i.value !== 'string') throw new AcmeProblem('malformed', 'Each identifier needs a type and a value.');
      if (i.type === 'ip' && ipOn) {
        const ip = this.checkAddress(i.value);
        if ('value' in ip) out.set(`ip:${ip.value}`, { type: 'ip', value: ip.value });
        else refuse(ip.type, ip.detail, { type: 'ip', value: i.value });
        continue;
      }
      if (i.type !== 'dns') {
        refuse('unsupportedIdentifier', `Identifiers of type ${JSON.stringify(i.type)} are not supported; use dns${ipOn ? ' or ip' : ''}.`, { type: i.type as 'dns', value: i.value });
        continue;
      }
      try {
        const value = normalizeDomain(i.value, { allowWildcard: true });
        out.set(`dns:${value}`, { type: 'dns', value });
      } catch (e) {
        if (!(e instanceof NameError)) throw e;
        const ip = ipOn ? canonicalIp(i.value.trim()) : null;
        refuse('rejectedIdentifier', ip === null ? e.message : `${JSON.stringify(i.value)} is an IP address: ask for it as {"type":"ip"} (RFC 8738), not as a DNS name.`,
          { type: 'dns', value: i.value });
      }
    }
    if (subproblems.length) {
      // One kind of problem names the whole; a mix is rejectedIdentifier.
      const kinds = new Set(subproblems.map((s) => s.type.slice('urn:ietf:params:acme:error:'.length)));
      throw new AcmeProblem(kinds.size === 1 ? [...kinds][0]! : 'rejectedIdentifier', `${subproblems.length} identifier(s) cannot be issued here: ${subproblems.map((s) => s.detail).join(' ')}`, 400, { subproblems });
    }
    return [...out.values()];
  }

  /**
   * An `ip` identifier's value (RFC 8738 section 3): an IPv4 address in dotted decimal or an
   * IPv6 address, put into RFC 5952's canonical text; anything else (prefixes, wildcards, zone
   * ids, brackets, ports, `127.1`) is malformed. IPv4-mapped IPv6 addresses are refused (ask for
   * the IPv4 address), and so are private and reserved ones unless the validator may reach them.
   */
  private checkAddress(raw: string): { value: string } | { type: string; detail: string } {
    const value = canonicalIp(raw);
    if (value === null) {
      return { type: 'malformed', detail: `${JSON.stringify(raw)} is not an IP address: IPv4 in dotted decimal or IPv6 text, without prefix length, wildcard, zone, brackets or port.` };
    }
    if (value.startsWith('::ffff:') && value.includes('.')) return { type: 'rejectedIdentifier', detail: `${value} is an IPv4-mapped IPv6 address; ask for ${value.slice(7)} itself.` };
    if (!this.validator.addressAllowed(value)) {
      return { type: 'rejectedIdentifier', detail: `${value} is a private or reserved address, which this server does not validate (CERTPORT_VALIDATION_ALLOW_PRIVATE).` };
    }
    return { value };
  }

  async getOrder(a: AcmeServerAccount, id: string): Promise<AcmeOrder> {
    const o = await this.store.getOrder(id);
    if (!o || o.acmeAccountId !== a.id) throw new AcmeProblem('malformed', 'No such order.', 404);
    return this.refreshOrder(o);
  }

  /** A pending order becomes ready when every authorization is valid, invalid when one is not to be, or when it expires. */
  private async refreshOrder(o: AcmeOrder): Promise<AcmeOrder> {
    const now = this.clock();
    if ((o.status === 'pending' || o.status === 'ready') && o.expiresAt <= now) {
      return this.setOrder(o, ['pending', 'ready'], { status: 'invalid', error: { type: 'malformed', detail: 'The order expired.' } });
    }
    if (o.status !== 'pending') return o;
    const authzs = await Promise.all((await this.store.getAuthzs(o.authzIds)).map((z) => this.refreshAuthz(z)));
    const failed = authzs.find((z) => z.status !== 'valid' && z.status !== 'pending');
    if (failed) {
      const ch = failed.challenges.find((c) => c.error);
      return this.setOrder(o, ['pending'], {
        status: 'invalid',
        error: { type: ch?.error?.type ?? 'unauthorized', detail: `The authorization for ${authzName(failed)} is ${failed.status}${ch?.error ? `: ${ch.error.detail}` : ''}` },
      });
    }
    if (authzs.length === o.authzIds.length && authzs.every((z) => z.status === 'valid')) return this.setOrder(o, ['pending'], { status: 'ready' });
    return o;
  }

  private async setOrder(o: AcmeOrder, from: AcmeOrder['status'][], patch: Partial<Pick<AcmeOrder, 'status' | 'error' | 'certificateId'>>): Promise<AcmeOrder> {
    const now = this.clock();
    if (await this.store.updateOrder(o.id, from, patch, now)) return { ...o, ...patch, updatedAt: now };
    return (await this.store.getOrder(o.id)) ?? o;
  }

  /** The account's orders (RFC 8555 7.1.2.1), newest first, at most 1000. */
  listOrders(a: AcmeServerAccount): Promise<string[]> {
    return this.store.listOrderIds(a.id, 1000);
  }

  async orderAuthzs(o: AcmeOrder): Promise<AcmeAuthz[]> {
    return this.store.getAuthzs(o.authzIds);
  }

  async getAuthz(a: AcmeServerAccount, id: string): Promise<AcmeAuthz> {
    const z = await this.store.getAuthz(id);
    if (!z || z.acmeAccountId !== a.id) throw new AcmeProblem('malformed', 'No such authorization.', 404);
    return this.refreshAuthz(z);
  }

  /** Expiry, and a challenge whose check was lost (its node went away) checked again. */
  private async refreshAuthz(z: AcmeAuthz): Promise<AcmeAuthz> {
    const now = this.clock();
    if ((z.status === 'pending' || z.status === 'valid') && z.expiresAt <= now) {
      const expired: AcmeAuthz = { ...z, status: 'expired', updatedAt: now };
      return (await this.store.updateAuthz(expired, z.updatedAt)) ? expired : ((await this.store.getAuthz(z.id)) ?? z);
    }
    const i = z.challenges.findIndex((c) => c.status === 'processing');
    if (z.status === 'pending' && i >= 0 && now - z.updatedAt > STALE_PROCESSING_MS) {
      const account = await this.store.getAccount(z.acmeAccountId);
      if (account) this.startValidation(z, i, account.thumbprint);
    }
    return z;
  }

  /** deactivate an authorization (RFC 8555 7.5.2). */
  async deactivateAuthz(a: AcmeServerAccount, id: string): Promise<AcmeAuthz> {
    const z = await this.getAuthz(a, id);
    if (z.status !== 'pending' && z.status !== 'valid') throw new AcmeProblem('malformed', `The authorization is ${z.status}; only pending or valid ones can be deactivated.`);
    const next: AcmeAuthz = { ...z, status: 'deactivated', updatedAt: this.clock() };
    if (!(await this.store.updateAuthz(next, z.updatedAt))) return this.getAuthz(a, id);
    return next;
  }

  /** The client says a challenge is in place (RFC 8555 7.5.1): its check starts now, in the background. */
  async respondChallenge(a: AcmeServerAccount, authzId: string, type: string): Promise<{ authz: AcmeAuthz; challenge: AcmeChallenge }> {
    const z = await this.getAuthz(a, authzId);
    const i = z.challenges.findIndex((c) => c.type === type);
    if (i < 0) throw new AcmeProblem('malformed', 'No such challenge.', 404);
    const ch = z.challenges[i]!;
    if (z.status !== 'pending' || ch.status !== 'pending') return { authz: z, challenge: ch };
    const now = this.clock();
    const next: AcmeAuthz = { ...z, updatedAt: now, challenges: z.challenges.map((c, j) => (j === i ? { ...c, status: 'processing' } : c)) };
    if (!(await this.store.updateAuthz(next, z.updatedAt))) {
      const again = await this.getAuthz(a, authzId);
      return { authz: again, challenge: again.challenges[i]! };
    }
    this.startValidation(next, i, a.thumbprint);
    return { authz: next, challenge: next.challenges[i]! };
  }

  private startValidation(z: AcmeAuthz, i: number, thumbprint: string): void {
    const p = this.validate(z, i, thumbprint).catch((e: unknown) => this.log.error({ err: e, authz: z.id }, 'ACME challenge check failed'));
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  private async validate(z: AcmeAuthz, i: number, thumbprint: string): Promise<void> {
    const ch = z.challenges[i]!;
    const keyAuthorization = `${ch.token}.${thumbprint}`;
    let ok: boolean;
    let detail: string;
    try {
      ({ ok, detail } = await this.validator.checkAcme(ch.type, z.identifier, ch.token, keyAuthorization));
    } catch (e) {
      ok = false;
      detail = (e as Error).message;
    }
    const now = this.clock();
    const errorType = ok ? null : /^DNS|DNS lookup|no TXT|no A or AAAA/.test(detail) ? 'dns' : /cannot connect|timed out|ALPN/.test(detail) ? (ch.type === 'tls-alpn-01' ? 'tls' : 'connection') : 'incorrectResponse';
    const next: AcmeAuthz = {
      ...z, status: ok ? 'valid' : 'invalid', expiresAt: ok ? now + AUTHZ_VALID_MS : z.expiresAt, updatedAt: now,
      challenges: z.challenges.map((c, j) => (j === i ? { ...c, status: ok ? 'valid' : 'invalid', validated: ok ? now : null, error: errorType ? { type: errorType, detail } : null } : c)),
    };
    await this.store.updateAuthz(next, z.updatedAt);
    this.log.info({ authz: z.id, name: authzName(z), type: ch.type, ok, detail }, 'ACME challenge checked');
  }

  /** Waits for the challenge checks under way (closing). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  /** finalize (RFC 8555 7.4): the CSR must name exactly the order's identifiers; certport's CA signs at once. */
  async finalize(a: AcmeServerAccount, orderId: string, csr: unknown): Promise<AcmeOrder> {
    const o = await this.getOrder(a, orderId);
    if (o.status !== 'ready') throw new AcmeProblem('orderNotReady', `The order is ${o.status}, not ready.`, 403);
    if (typeof csr !== 'string' || !/^[A-Za-z0-9_-]+$/.test(csr)) throw new AcmeProblem('malformed', 'csr must be the base64url DER of a PKCS#10 request.');
    const csrPem = toPem('CERTIFICATE REQUEST', Buffer.from(csr, 'base64url'));
    let parsed;
    try {
      parsed = parseCsr(csrPem);
    } catch (e) {
      throw new AcmeProblem('badCSR', `The CSR is not acceptable: ${(e as Error).message}`);
    }
    if (parsed.keyAlgorithm === 'RSA' && parsed.keySize < 2048) throw new AcmeProblem('badCSR', `The CSR's RSA key has ${parsed.keySize} bits; at least 2048 are needed.`);
    // Boulder's blocked keys: a key reported compromised gets no new certificate here either.
    if (this.revocations && (await this.revocations.isKeyBlocked(spkiSha256(csrSpki(csrPem))))) {
      throw new AcmeProblem('badPublicKey', 'The CSR uses a key that was reported compromised (keyCompromise); make a new key.');
    }
    // A CN is one of the names (or addresses) too; an address must also be an iPAddress SAN (RFC 8738 section 3).
    const cn = parsed.subject.CN?.trim().toLowerCase();
    const cnIp = cn ? canonicalIp(cn) : null;
    const csrIps = parsed.ipAddresses.map((t) => canonicalIp(t) ?? `(unreadable address ${t})`);
    const names = [...new Set([...(cn && cnIp === null ? [cn] : []), ...parsed.dnsNames])];
    const ips = [...new Set([...(cnIp !== null ? [cnIp] : []), ...csrIps])];
    const wantNames = new Set(o.identifiers.filter((i) => i.type === 'dns').map((i) => i.value));
    const wantIps = new Set(o.identifiers.filter((i) => i.type === 'ip').map((i) => i.value));
    const extra = [...names.filter((n) => !wantNames.has(n)), ...ips.filter((n) => !wantIps.has(n))];
    const missing = [...[...wantNames].filter((n) => !names.includes(n)), ...[...wantIps].filter((n) => !csrIps.includes(n))];
    if (extra.length || missing.length) {
      throw new AcmeProblem('badCSR', `The CSR's names differ from the order's:${extra.length ? ` not in the order: ${extra.join(', ')};` : ''}${missing.length ? ` missing${wantIps.size ? ' (addresses as iPAddress SANs)' : ''}: ${missing.join(', ')};` : ''}`.replace(/;$/, '.'));
    }
    const policy = await this.policy(o.accountUin);
    // The policy may have changed since the order was made.
    this.checkPolicy(policy, o.identifiers);
    // CAA (RFC 8659) is for names; an address has none to ask (RFC 8738 section 9).
    const caa = names.length ? await this.validator.checkCaa(names) : null;
    if (caa && !caa.ok) {
      await this.setOrder(o, ['ready'], { status: 'invalid', error: { type: 'caa', detail: caa.detail } });
      throw new AcmeProblem('caa', caa.detail, 403);
    }
    // Asked again: orders placed while under the limit must not all be issued past it.
    await this.checkDomainLimit(o.identifiers, this.clock());
    if (!(await this.store.updateOrder(o.id, ['ready'], { status: 'processing' }, this.clock()))) {
      throw new AcmeProblem('orderNotReady', 'The order is being finalized already.', 403);
    }
    try {
      const p = await this.issuer.finalize({ ref: null, auths: [] }, { csrPem, domains: names, ...(ips.length ? { ipAddresses: ips } : {}), validityDays: policy.maxDays });
      if (p.state !== 'issued') throw new Error(`the CA answered ${p.state}`);
      const cert = await this.certificates.recordIssued(o.accountUin, p.chainPem, {
        source: ACME_SERVER_SOURCE, productName: 'certport ACME certificate', verifyType: 'ACME',
        logAction: (id) => `ACME account [${a.id}] obtains certificate [id: ${id}] for [${[...names, ...ips].join(', ')}] from ${this.issuer.label}`,
      });
      await this.store.recordIssuance(cert.id, [...new Set(o.identifiers.map(limitUnit))], namesKey(o.identifiers), this.clock());
      return this.setOrder({ ...o, status: 'processing' }, ['processing'], { status: 'valid', certificateId: cert.id });
    } catch (e) {
      await this.setOrder(o, ['processing'], { status: 'invalid', error: { type: 'serverInternal', detail: 'Issuance failed.' } });
      throw e;
    }
  }

  /**
   * revokeCert (RFC 8555 7.6): by an ACME account bound to the certport account that owns the
   * certificate, or signed with the certificate's own key (`keySpki`: the jwk as SPKI DER).
   */
  async revoke(by: { account: AcmeServerAccount } | { keySpki: Buffer }, p: { certificate?: unknown; reason?: unknown }): Promise<void> {
    if (!this.revocations) throw new AcmeProblem('unauthorized', 'Revocation is not available on this server.', 403);
    if (typeof p.certificate !== 'string' || !/^[A-Za-z0-9_-]+$/.test(p.certificate)) {
      throw new AcmeProblem('malformed', 'certificate must be the base64url DER of the certificate.');
    }
    // RFC 5280 reason codes, as certport's revocation knows them; absent means unspecified (0).
    const reason = p.reason === undefined ? 0 : typeof p.reason === 'number' && Number.isInteger(p.reason) ? parseReason(p.reason) : null;
    if (reason === null) throw new AcmeProblem('badRevocationReason', `Reason ${JSON.stringify(p.reason)} is not one of 0-5 and 9 (RFC 5280).`);
    const cert = await this.revocations.findByLeafDer(Buffer.from(p.certificate, 'base64url'));
    // Not ours and not the signer's are answered alike, so the answer tells nothing of other accounts.
    const notYours = () => new AcmeProblem('unauthorized', 'The certificate was not issued here to this account or for this key.', 403);
    if (!cert) throw notYours();
    let who: string;
    if ('account' in by) {
      await this.requireActive(by.account.accountUin);
      if (cert.accountUin !== by.account.accountUin) throw notYours();
      who = `ACME account ${by.account.id}`;
    } else {
      if (spkiSha256(by.keySpki) !== spkiSha256OfPem(cert.certPem)) throw notYours();
      who = 'ACME revokeCert signed by the certificate key';
    }
    const status = effectiveStatus(cert, this.clock());
    if (status === CertStatus.revoked || status === CertStatus.revoking || status === CertStatus.pendingRevocationLetter) {
      throw new AcmeProblem('alreadyRevoked', `The certificate ${cert.id} is revoked already.`);
    }
    if (status !== CertStatus.issued) throw new AcmeProblem('unauthorized', `The certificate ${cert.id} is in status ${status} (expired or not issued); it cannot be revoked.`, 403);
    try {
      await this.revocations.revokeByAcme(who, cert, reason);
    } catch (e) {
      if (e instanceof ServiceError && e.code === 'FailedOperation.InvalidCertificateStatusCode') throw new AcmeProblem('alreadyRevoked', e.message);
      if (e instanceof ServiceError) throw new AcmeProblem('unauthorized', e.message, 403);
      throw e;
    }
    this.log.info({ certId: cert.id, by: who, reason }, 'ACME revokeCert');
  }

  /**
   * renewalInfo (RFC 9773): certID is base64url(AKI keyIdentifier) "." base64url(serial DER).
   * The suggested window is the middle third of the last third of the certificate's life
   * (7/9 to 8/9), so renewals spread out well before expiry; a revoked certificate gets a
   * window in the past (renew now). Any certificate certport issued is answered (the ARI
   * resource is public by design: it reveals nothing the certificate does not).
   */
  async renewalInfo(certId: string): Promise<{ suggestedWindow: { start: number; end: number }; retryAfterS: number }> {
    const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(certId);
    if (!m) throw new AcmeProblem('malformed', 'The certID must be base64url(AKI keyIdentifier) "." base64url(serial).');
    const aki = Buffer.from(m[1]!, 'base64url');
    const serial = Buffer.from(m[2]!, 'base64url');
    // DER INTEGER contents: a leading 00 only keeps the number positive; certport stores the hex without it.
    let i = 0;
    while (i < serial.length - 1 && serial[i] === 0) i++;
    const serialHex = serial.subarray(i).toString('hex');
    const matches = (await this.certificates.findBySerial(serialHex)).filter((c) => {
      const leaf = c.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
      const got = leaf ? authorityKeyId(pemDer(leaf, 'CERTIFICATE')) : null;
      return got !== null && got.equals(aki);
    });
    const c = matches[0];
    if (!c) throw new AcmeProblem('malformed', 'No certificate issued here has this certID.', 404);
    const now = this.clock();
    const status = effectiveStatus(c, now);
    if (status === CertStatus.revoked || status === CertStatus.revoking) {
      return { suggestedWindow: { start: now - 2 * HOUR, end: now - HOUR }, retryAfterS: 6 * 3600 };
    }
    const life = c.notAfter - c.notBefore;
    return { suggestedWindow: { start: c.notBefore + Math.round(life * 7 / 9), end: c.notBefore + Math.round(life * 8 / 9) }, retryAfterS: 6 * 3600 };
  }

  /**
   * The certificate of one of the account's orders, PEM: its chains, the one issued (leaf and
   * intermediate) first, then one alternate (RFC 8555 7.4.2) per cross-signed CA certificate
   * that fits it, in the order of CERTPORT_CA_CROSS_CERTS_FILE.
   */
  async certificateChains(a: AcmeServerAccount, certificateId: string): Promise<string[]> {
    const o = await this.store.findOrderByCertificate(certificateId);
    const c = o && o.acmeAccountId === a.id ? await this.certificates.findAnywhere(certificateId) : null;
    if (!c) throw new AcmeProblem('malformed', 'No such certificate.', 404);
    return [c.certPem, ...(this.crossChains?.alternates(c.certPem, this.clock()) ?? [])];
  }
}

function checkContact(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((c) => typeof c !== 'string')) throw new AcmeProblem('malformed', 'contact must be an array of URLs.');
  for (const c of raw as string[]) {
    if (!c.startsWith('mailto:')) throw new AcmeProblem('unsupportedContact', `Only mailto: contacts are supported, got ${JSON.stringify(c)}.`);
    if (!/^mailto:[^\s@,?]+@[^\s@,?]+\.[^\s@,?]+$/.test(c)) throw new AcmeProblem('invalidContact', `${JSON.stringify(c)} is not an email address.`);
  }
  return raw as string[];
}
