// An upstream ACME CA (RFC 8555: Let's Encrypt, ZeroSSL and Google with EAB, step-ca, …)
// through acme-client, behind the Issuer interface (../issuer.ts). Unlike the embedded CA it
// cannot sign on demand: the CA runs its own order, with challenges the certificate's owner
// must satisfy, and the DV order service drives its steps from its durable jobs.
//
// Every step is re-entrant: the order's state lives at the CA and is read back each time,
// so a restart of certport (or of the CA) at any point is picked up on the next step.
// acme-client signs requests, manages nonces and retries badNonce; requests go through its
// raw signed-request call so that RFC 8555 problem types (rateLimited, rejectedIdentifier,
// accountDoesNotExist, …) can be told apart, which its high-level calls fold into a message.
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import { Fault } from '../../domain/errors.js';
import type { Sealer } from '../../secrets/sealer.js';
import type { AcmeAccountStore } from '../../domain/stores.js';
import type { DvAuth } from '../../domain/dv-order.js';
import { generateKeyPair } from '../../pki/keys.js';
import { firstPemDer } from '../../pki/pem.js';
import { CaRefused, CaUnreachable, type CheckAuth, type IssueRequest, type Issuer, type Order, type OrderProgress, type OrderRequest } from '../issuer.js';
import { aad } from '../../secrets/aad.js';

export interface AcmeSettings {
  directoryUrl: string;
  email: string | null;
  eab: { kid: string; hmacKey: string } | null;
  /** Extra CA certificates (PEM) to trust for the directory's TLS (a private step-ca, Pebble). */
  caPem: string | null;
}

interface RawResponse { status: number; data: any; headers: Record<string, string> }

const PROBLEM = 'urn:ietf:params:acme:error:';
const short = (type: string) => (type ?? '').replace(PROBLEM, '');

const SIGNING: OrderProgress = { state: 'pending', detail: 'the CA is signing', soon: true };

export class AcmeIssuer implements Issuer {
  readonly name = 'acme';
  readonly source = 'acme';
  /** ACME carries RSA and ECDSA keys; no public ACME CA issues SM2. */
  readonly keyAlgorithms = ['RSA', 'ECC'] as const;
  /** RFC 8555 7.4: finalize takes a CSR. */
  readonly signsPublicKeys = false;
  /** A chain from an ACME CA ends at its intermediate; its root is not known here. */
  readonly rootPem = null;
  /** The upstream CA asks CAA for its own identity (RFC 8555 CAs do). */
  readonly checksCaa = true;
  #client: Promise<acme.Client> | null = null;

  constructor(
    private readonly settings: AcmeSettings,
    private readonly store: AcmeAccountStore,
    private readonly sealer: Sealer,
  ) {
    if (settings.caPem) {
      // acme-client talks through one axios instance; trust the configured CA there as well
      // as the public roots (an https agent is the only hook it has).
      acme.axios.defaults.httpsAgent = new https.Agent({ ca: [...rootCertificates, settings.caPem], keepAlive: true });
    }
    // Fail fast on an unreachable CA: the job backs off instead of acme-client sleeping.
    const defaults = acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } };
    defaults.acmeSettings.retryMaxAttempts = 1;
    defaults.acmeSettings.retryDefaultDelay = 1;
    acme.axios.defaults.timeout = 15_000;
  }

  get label(): string {
    return this.settings.directoryUrl;
  }

  /** The account key is made once and stored sealed; the CA account is registered (or found) with it. */
  private client(): Promise<acme.Client> {
    this.#client ??= (async () => {
      const url = this.settings.directoryUrl;
      let stored = await this.store.getAcmeAccount(url);
      if (!stored) {
        const key = generateKeyPair('ECC', 'prime256v1').privateKeyPem;
        stored = await this.store.putAcmeAccountOnce(url, this.sealer.seal(key, aad.acmeAccount(url)), Date.now());
      }
      const accountKey = this.sealer.openString(stored.keySealed, aad.acmeAccount(url));
      const client = new acme.Client({
        directoryUrl: url,
        accountKey,
        ...(this.settings.eab ? { externalAccountBinding: this.settings.eab } : {}),
        backoffAttempts: 1,
      });
      await client.createAccount({
        termsOfServiceAgreed: true,
        ...(this.settings.email ? { contact: [`mailto:${this.settings.email}`] } : {}),
      }).catch((e) => { throw classify(e); });
      return client;
    })();
    this.#client.catch(() => { this.#client = null; });
    return this.#client;
  }

  /**
   * A signed POST. A CA that no longer knows the account (reset, or a new directory behind
   * the same URL) answers accountDoesNotExist: register the stored key again and send the
   * request once more, so the order in hand is placed rather than failed (RFC 8555 7.3).
   */
  private async post(url: string, payload: unknown): Promise<RawResponse> {
    try {
      return await this.postOnce(url, payload);
    } catch (e) {
      if (!(e instanceof CaRefused && short(e.type) === 'accountDoesNotExist')) throw e;
      return this.postOnce(url, payload);
    }
  }

  private async postOnce(url: string, payload: unknown): Promise<RawResponse> {
    const client = await this.client();
    let resp: RawResponse;
    try {
      const http = (client as unknown as { http: { signedRequest(u: string, p: unknown, o: { kid: string }): Promise<RawResponse> } }).http;
      resp = await http.signedRequest(url, payload, { kid: client.getAccountUrl() });
    } catch (e) {
      // The raw call returns every HTTP answer; what it throws is a transport failure.
      throw new CaUnreachable(`the CA is unreachable: ${(e as Error)?.message ?? e}`);
    }
    if (resp.status >= 500) throw new CaUnreachable(`the CA answered HTTP ${resp.status} for ${url}`);
    if (resp.status >= 400) {
      const type = resp.data?.type ?? `${PROBLEM}serverInternal`;
      if (short(type) === 'accountDoesNotExist') this.#client = null; // the CA was reset: register again
      // A CA that forgot an order (or its account's orders) may answer a bare 404.
      throw new CaRefused(type, resp.data?.detail ?? (resp.status === 404 ? `HTTP 404: ${url} not found` : `HTTP ${resp.status}`));
    }
    return resp;
  }

  /** A new ACME order for the names, and what their owner must publish (dns-01 or http-01). */
  async place(req: OrderRequest): Promise<Order> {
    const client = await this.client();
    const http = (client as unknown as { http: { getResourceUrl(r: string): Promise<string> } }).http;
    let newOrder: string;
    try {
      newOrder = await http.getResourceUrl('newOrder');
    } catch (e) {
      throw new CaUnreachable(`the CA is unreachable: ${(e as Error)?.message ?? e}`);
    }
    const resp = await this.post(newOrder, { identifiers: req.domains.map((value) => ({ type: 'dns', value })) });
    const orderUrl = resp.headers.location;
    if (!orderUrl) throw new CaRefused(`${PROBLEM}malformed`, 'the CA created an order without a Location');
    const auths: DvAuth[] = [];
    for (const authzUrl of resp.data.authorizations as string[]) {
      const authz = (await this.post(authzUrl, '')).data;
      const base: string = authz.identifier.value;
      const name = authz.wildcard ? `*.${base}` : base;
      const type = req.method === 'FILE' ? 'http-01' : 'dns-01';
      const challenge = (authz.challenges as { type: string; url: string; token: string }[]).find((c) => c.type === type);
      if (!challenge) {
        if (authz.status === 'valid') continue; // reused authorization: nothing to publish
        throw new CaRefused(`${PROBLEM}unsupportedChallenge`, `the CA offers no ${type} challenge for ${name}`);
      }
      const value = await client.getChallengeKeyAuthorization(challenge as never);
      auths.push(req.method === 'FILE'
        ? { domain: name, verifyType: 'FILE', key: challenge.token, value, zone: base, subDomain: null, path: '/.well-known/acme-challenge/', authzUrl, challengeUrl: challenge.url }
        : { domain: name, verifyType: 'TXT', key: `_acme-challenge.${base}`, value, zone: base, subDomain: null, path: null, authzUrl, challengeUrl: challenge.url });
    }
    return { ref: orderUrl, auths };
  }

  /** The order as the CA has it now, or null when the CA no longer knows it (or it was never placed). */
  private async fetchOrder(ref: string | null): Promise<any | null> {
    if (!ref) return null;
    try {
      return (await this.post(ref, '')).data;
    } catch (e) {
      if (e instanceof CaRefused && (['accountDoesNotExist', 'malformed', 'unauthorized'].includes(short(e.type)) || /not found|does not exist/i.test(e.message))) {
        return null;
      }
      throw e;
    }
  }

  /**
   * One step of an order: answers the challenges whose record or file `check` finds in place,
   * and says where the order stands; 'ready' once every authorization is valid.
   */
  async poll(o: Order, check: CheckAuth): Promise<OrderProgress> {
    const order = await this.fetchOrder(o.ref);
    if (!order) return { state: 'gone' };
    if (order.status === 'ready') return { state: 'ready' };
    if (order.status !== 'pending') return this.settled(order);
    const waiting: string[] = [];
    for (const authzUrl of order.authorizations as string[]) {
      const authz = (await this.post(authzUrl, '')).data;
      if (authz.status === 'valid') continue;
      if (authz.status !== 'pending') return { state: 'invalid', reason: await this.failureReason(order) };
      const auth = o.auths.find((a) => a.authzUrl === authzUrl);
      const challenge = (authz.challenges as { url: string; status: string; error?: { detail?: string } }[]).find((c) => c.url === auth?.challengeUrl);
      if (!auth || !challenge) return { state: 'gone' };
      if (challenge.status === 'pending') {
        const seen = await check(auth);
        if (!seen.ok) {
          waiting.push(`${auth.domain}: ${seen.detail}`);
          continue;
        }
        await this.post(challenge.url, {});
        waiting.push(`${auth.domain}: the CA is checking`);
      } else if (challenge.status === 'invalid') {
        return { state: 'invalid', reason: challenge.error?.detail ?? `the CA could not validate ${auth.domain}` };
      } else {
        waiting.push(`${auth.domain}: the CA is checking`);
      }
    }
    const checking = waiting.every((w) => w.endsWith('the CA is checking'));
    return { state: 'pending', detail: waiting.join('; ') || 'the CA is checking', soon: checking };
  }

  /** Finalizes a ready order with the CSR (RFC 8555 7.4); the certificate follows once the CA has signed. */
  /** RFC 8555 7.6, signed with the account key that ordered it (the CA checks the account owns the certificate). */
  async revoke(certPem: string, reason: number): Promise<void> {
    const leaf = firstPemDer(certPem, ['CERTIFICATE']);
    if (!leaf) throw new CaRefused(`${PROBLEM}malformed`, 'There is no certificate to revoke.');
    const client = await this.client();
    await client.revokeCertificate(`-----BEGIN CERTIFICATE-----\n${leaf.der.toString('base64')}\n-----END CERTIFICATE-----\n`, { reason })
      .catch((e) => { throw classify(e); });
  }

  async finalize(o: Order, req: IssueRequest): Promise<OrderProgress> {
    // Its orders are placed for DNS names only (place); an address would be a CSR the order does not match.
    if (req.ipAddresses?.length) throw new CaRefused(`${PROBLEM}unsupportedIdentifier`, 'IP addresses are not ordered from an upstream ACME CA.');
    const csr = firstPemDer(req.csrPem ?? '', ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'])?.der;
    if (!csr) throw new Fault('malformed', 'An ACME CA finalizes an order with a CSR (RFC 8555 7.4).');
    const order = await this.fetchOrder(o.ref);
    if (!order) return { state: 'gone' };
    if (order.status !== 'ready') return this.settled(order);
    await this.post(order.finalize, { csr: csr.toString('base64url') });
    return SIGNING;
  }

  /** An order past validation (or failed): signing, issued (the chain downloaded), or invalid. */
  private async settled(order: any): Promise<OrderProgress> {
    switch (order.status) {
      case 'invalid':
        return { state: 'invalid', reason: await this.failureReason(order) };
      case 'processing':
        return SIGNING;
      case 'valid': {
        const resp = await this.post(order.certificate, '');
        const pem = typeof resp.data === 'string' ? resp.data : Buffer.from(resp.data).toString();
        return { state: 'issued', chainPem: pem.replace(/\r\n/g, '\n').trim() + '\n' };
      }
      default:
        return { state: 'pending', detail: `the order is ${order.status}`, soon: false };
    }
  }

  private async failureReason(order: any): Promise<string> {
    if (order.error?.detail) return order.error.detail;
    for (const url of order.authorizations as string[]) {
      const authz = (await this.post(url, '').catch(() => null))?.data;
      const failed = (authz?.challenges ?? []).find((c: { status: string }) => c.status === 'invalid');
      if (failed?.error?.detail) return failed.error.detail;
    }
    return 'the CA marked the order invalid';
  }
}

function classify(e: unknown): Error {
  if (e instanceof CaRefused || e instanceof CaUnreachable) return e;
  const err = e as { isAxiosError?: boolean; message?: string; response?: { status?: number } };
  // acme-client (5.4) fails with a TypeError when its retries on a dead connection run out.
  if ((err?.isAxiosError && (!err.response || (err.response.status ?? 500) >= 500)) || e instanceof TypeError) {
    return new CaUnreachable(`the CA is unreachable: ${err?.message}`);
  }
  // acme-client folds a problem document into a plain Error carrying its detail.
  return new CaRefused(`${PROBLEM}serverInternal`, err?.message ?? String(e));
}
