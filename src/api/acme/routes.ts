// The ACME server's wire (RFC 8555) under <CERTPORT_PUBLIC_URL>/acme/: JWS-signed POSTs,
// nonces, problem documents and the resources' JSON. The rules are services/acme-server.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AcmeProblem, type AcmeAuthz, type AcmeChallenge, type AcmeOrder, type AcmeServerAccount } from '../../domain/acme-server.js';
import type { AcmeServerService } from '../../services/acme-server.js';
import type { AcmeOrderLimit } from '../guards.js';
import { importJwk, parseJws, payloadOf, readEab, thumbprint, verifyJws, type Jws } from './jws.js';

const PREFIX = 'urn:ietf:params:acme:error:';
const iso = (ms: number) => new Date(ms).toISOString();

export interface AcmeRoutesOptions {
  service: AcmeServerService;
  /** `<CERTPORT_PUBLIC_URL>/acme`: every URL handed out, and what each JWS `url` must be. */
  base: string;
  eabRequired: boolean;
  /** New orders per certport account and hour: rateLimited with Retry-After beyond it. */
  orderLimit?: AcmeOrderLimit;
  ordersPerHour?: number;
}

interface Signed {
  jws: Jws;
  payload: unknown;
  /** Set for kid-signed requests. */
  account: AcmeServerAccount | null;
  /** Set for jwk-signed requests. */
  jwk: ReturnType<typeof importJwk> | null;
}

export function acmeRoutes(o: AcmeRoutesOptions) {
  const { service, base } = o;
  const url = {
    directory: `${base}/directory`, newNonce: `${base}/new-nonce`, newAccount: `${base}/new-account`, newOrder: `${base}/new-order`,
    revokeCert: `${base}/revoke-cert`, keyChange: `${base}/key-change`, renewalInfo: `${base}/renewal-info`,
    account: (id: string) => `${base}/acct/${id}`, order: (id: string) => `${base}/order/${id}`, authz: (id: string) => `${base}/authz/${id}`,
    challenge: (authz: string, type: string) => `${base}/chall/${authz}/${type}`, cert: (id: string) => `${base}/cert/${id}`,
  };

  const orderJson = (x: AcmeOrder) => ({
    status: x.status, expires: iso(x.expiresAt), identifiers: x.identifiers, authorizations: x.authzIds.map(url.authz),
    finalize: `${url.order(x.id)}/finalize`, ...(x.certificateId ? { certificate: url.cert(x.certificateId) } : {}),
    ...(x.error ? { error: { type: PREFIX + x.error.type, detail: x.error.detail } } : {}),
  });
  const challengeJson = (z: AcmeAuthz, c: AcmeChallenge) => ({
    type: c.type, url: url.challenge(z.id, c.type), status: c.status, token: c.token,
    ...(c.validated ? { validated: iso(c.validated) } : {}),
    ...(c.error ? { error: { type: PREFIX + c.error.type, detail: c.error.detail, status: 403 } } : {}),
  });
  const authzJson = (z: AcmeAuthz) => ({
    status: z.status, expires: iso(z.expiresAt), identifier: z.identifier, ...(z.wildcard ? { wildcard: true } : {}),
    challenges: z.challenges.map((c) => challengeJson(z, c)),
  });
  const accountJson = (a: AcmeServerAccount) => ({ status: a.status, contact: a.contact, orders: `${url.account(a.id)}/orders` });

  /** `Link` may be several (one header line each: certbot reads every `alternate`). */
  async function reply(rep: FastifyReply, status: number, body: unknown, headers: Record<string, string | string[]> = {}, type = 'application/json') {
    const links = [`<${url.directory}>;rel="index"`, ...(headers.Link ? [headers.Link].flat() : [])];
    rep.code(status).header('Replay-Nonce', await service.newNonce()).header('Link', links).header('Cache-Control', 'no-store');
    for (const [k, v] of Object.entries(headers)) if (k !== 'Link') rep.header(k, v);
    // A Buffer keeps Content-Type exactly as set (Fastify adds a charset to strings).
    return rep.header('content-type', type).send(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  }

  async function problem(req: FastifyRequest, rep: FastifyReply, e: unknown) {
    if (!(e instanceof AcmeProblem)) {
      req.log.error({ err: e }, 'ACME request failed');
      e = new AcmeProblem('serverInternal', 'An internal error occurred.', 500);
    }
    const p = e as AcmeProblem;
    req.log.info({ problem: p.type, detail: p.message }, 'ACME problem');
    const body = {
      type: PREFIX + p.type, detail: p.message, status: p.status,
      ...(p.extra.subproblems ? { subproblems: p.extra.subproblems } : {}), ...(p.extra.algorithms ? { algorithms: p.extra.algorithms } : {}),
    };
    return reply(rep, p.status, body, p.extra.retryAfterS ? { 'Retry-After': String(p.extra.retryAfterS) } : {}, 'application/problem+json');
  }

  /** Reads, authenticates and uses up the nonce of a POST (RFC 8555 6.2-6.5). `by`: which key may sign. */
  async function signed(req: FastifyRequest, path: string, by: 'jwk' | 'kid'): Promise<Signed> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/jose+json') throw new AcmeProblem('malformed', 'Content-Type must be application/jose+json.', 415);
    const jws = parseJws(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    const h = jws.header;
    if ((h.jwk !== undefined) === (h.kid !== undefined)) throw new AcmeProblem('malformed', 'The protected header needs exactly one of jwk and kid.');
    let account: AcmeServerAccount | null = null;
    let jwk: Signed['jwk'] = null;
    if (by === 'jwk') {
      if (h.jwk === undefined) throw new AcmeProblem('malformed', 'This request is signed with the key itself (jwk), not kid.');
      jwk = importJwk(h.jwk);
      verifyJws(jws, jwk.key);
    } else {
      if (typeof h.kid !== 'string') throw new AcmeProblem('malformed', 'This request is signed by an account (kid).');
      const prefix = `${base}/acct/`;
      if (!h.kid.startsWith(prefix)) throw new AcmeProblem('accountDoesNotExist', 'The kid is not an account URL of this server.');
      account = await service.accountById(h.kid.slice(prefix.length));
      verifyJws(jws, importJwk(account.jwk).key);
    }
    await service.useNonce(h.nonce);
    if (h.url !== base + path) throw new AcmeProblem('unauthorized', `The JWS url ${JSON.stringify(h.url)} is not the URL requested (${base + path}).`, 401);
    return { jws, payload: payloadOf(jws), account, jwk };
  }

  const asObject = (p: unknown): Record<string, unknown> => {
    if (p === '') return {};
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new AcmeProblem('malformed', 'The payload must be a JSON object.');
    return p as Record<string, unknown>;
  };
  const postAsGet = (p: unknown) => {
    if (p !== '') throw new AcmeProblem('malformed', 'This resource is read with POST-as-GET (an empty payload).');
  };
  const suffix = (req: FastifyRequest) => req.url.slice('/acme'.length).split('?')[0]!;

  const post = (app: FastifyInstance, path: string, by: 'jwk' | 'kid', fn: (s: Signed, req: FastifyRequest, rep: FastifyReply) => Promise<unknown>) => {
    app.post(`/acme${path}`, async (req, rep) => {
      try {
        return await fn(await signed(req, suffix(req), by), req, rep);
      } catch (e) {
        return problem(req, rep, e);
      }
    });
    app.get(`/acme${path}`, async (req, rep) => problem(req, rep, new AcmeProblem('malformed', 'Use POST (or POST-as-GET) with a JWS.', 405)));
  };

  return (app: FastifyInstance) => {
    app.get('/acme/directory', async (req, rep) => {
      try {
        return await reply(rep, 200, {
          newNonce: url.newNonce, newAccount: url.newAccount, newOrder: url.newOrder, revokeCert: url.revokeCert, keyChange: url.keyChange,
          renewalInfo: url.renewalInfo,
          meta: { externalAccountRequired: o.eabRequired, website: 'https://github.com/certport' },
        });
      } catch (e) {
        return problem(req, rep, e);
      }
    });
    app.route({
      method: ['GET', 'HEAD'], url: '/acme/new-nonce',
      handler: async (req, rep) => {
        try {
          return await reply(rep, req.method === 'HEAD' ? 200 : 204, '');
        } catch (e) {
          return problem(req, rep, e);
        }
      },
    });

    post(app, '/new-account', 'jwk', async (s, _req, rep) => {
      const p = asObject(s.payload);
      const tp = thumbprint(s.jwk!.jwk);
      const eab = p.externalAccountBinding === undefined ? null : readEab(p.externalAccountBinding, tp, url.newAccount);
      const { account, created } = await service.newAccount({
        jwk: s.jwk!.jwk, thumbprint: tp, contact: (p.contact as string[] | undefined) ?? [], onlyReturnExisting: p.onlyReturnExisting === true,
        termsOfServiceAgreed: p.termsOfServiceAgreed === true, eab,
      });
      return reply(rep, created ? 201 : 200, accountJson(account), { Location: url.account(account.id) });
    });

    post(app, '/acct/:id', 'kid', async (s, req, rep) => {
      const id = (req.params as { id: string }).id;
      if (s.account!.id !== id) throw new AcmeProblem('unauthorized', 'The request is signed by another account.', 403);
      const p = asObject(s.payload);
      const a = s.payload === '' ? s.account! : await service.updateAccount(s.account!, { contact: p.contact, status: p.status });
      return reply(rep, 200, accountJson(a), { Location: url.account(a.id) });
    });

    post(app, '/acct/:id/orders', 'kid', async (s, req, rep) => {
      if (s.account!.id !== (req.params as { id: string }).id) throw new AcmeProblem('unauthorized', 'The request is signed by another account.', 403);
      postAsGet(s.payload);
      return reply(rep, 200, { orders: (await service.listOrders(s.account!)).map(url.order) });
    });

    post(app, '/key-change', 'kid', async (s, _req, rep) => {
      // RFC 8555 7.3.5: the payload is a JWS by the new key over {account, oldKey}.
      const inner = parseJws(Buffer.from(JSON.stringify(s.payload)));
      if (inner.header.jwk === undefined || 'nonce' in inner.header) throw new AcmeProblem('malformed', 'The inner JWS carries the new key (jwk) and no nonce.');
      if (inner.header.url !== url.keyChange) throw new AcmeProblem('malformed', 'The inner JWS url must be the keyChange URL.');
      const next = importJwk(inner.header.jwk);
      verifyJws(inner, next.key);
      const body = asObject(payloadOf(inner));
      if (body.account !== url.account(s.account!.id)) throw new AcmeProblem('malformed', 'The inner payload names another account.');
      if (thumbprint(importJwk(body.oldKey).jwk) !== s.account!.thumbprint) throw new AcmeProblem('malformed', 'oldKey is not the account\'s key.');
      await service.changeKey(s.account!, next.jwk, thumbprint(next.jwk));
      return reply(rep, 200, accountJson(s.account!), { Location: url.account(s.account!.id) });
    });

    post(app, '/new-order', 'kid', async (s, _req, rep) => {
      const p = asObject(s.payload);
      const wait = await o.orderLimit?.take(s.account!.accountUin);
      if (wait) throw new AcmeProblem('rateLimited', `Too many new orders for this account: at most ${o.ordersPerHour} an hour (CERTPORT_ACME_SERVER_ORDERS_PER_HOUR); retry in ${wait} s.`, 429, { retryAfterS: wait });
      const order = await service.newOrder(s.account!, { identifiers: p.identifiers, notBefore: p.notBefore, notAfter: p.notAfter });
      return reply(rep, 201, orderJson(order), { Location: url.order(order.id) });
    });

    post(app, '/order/:id', 'kid', async (s, req, rep) => {
      postAsGet(s.payload);
      const order = await service.getOrder(s.account!, (req.params as { id: string }).id);
      return reply(rep, 200, orderJson(order), order.status === 'pending' || order.status === 'processing' ? { 'Retry-After': '1' } : {});
    });

    post(app, '/order/:id/finalize', 'kid', async (s, req, rep) => {
      const order = await service.finalize(s.account!, (req.params as { id: string }).id, asObject(s.payload).csr);
      return reply(rep, 200, orderJson(order), { Location: url.order(order.id) });
    });

    post(app, '/authz/:id', 'kid', async (s, req, rep) => {
      const id = (req.params as { id: string }).id;
      const p = asObject(s.payload);
      const z = p.status === 'deactivated' ? await service.deactivateAuthz(s.account!, id) : (postAsGet(s.payload), await service.getAuthz(s.account!, id));
      const busy = z.status === 'pending' && z.challenges.some((c) => c.status === 'processing');
      return reply(rep, 200, authzJson(z), busy ? { 'Retry-After': '1' } : {});
    });

    post(app, '/chall/:authz/:type', 'kid', async (s, req, rep) => {
      const { authz, type } = req.params as { authz: string; type: string };
      asObject(s.payload);
      const r = s.payload === ''
        ? await service.getAuthz(s.account!, authz).then((z) => ({ authz: z, challenge: z.challenges.find((c) => c.type === type) }))
        : await service.respondChallenge(s.account!, authz, type);
      if (!r.challenge) throw new AcmeProblem('malformed', 'No such challenge.', 404);
      return reply(rep, 200, challengeJson(r.authz, r.challenge), {
        Link: `<${url.authz(authz)}>;rel="up"`, ...(r.challenge.status === 'processing' ? { 'Retry-After': '1' } : {}),
      });
    });

    // RFC 8555 7.4.2: the chain issued at /cert/<id>, each alternate at /cert/<id>/<n> (n from 1);
    // every one links to all the others with rel="alternate".
    const certificate = async (s: Signed, id: string, n: number, rep: FastifyReply) => {
      postAsGet(s.payload);
      const chains = await service.certificateChains(s.account!, id);
      const pem = chains[n];
      if (pem === undefined) throw new AcmeProblem('malformed', 'No such certificate chain.', 404);
      const links = chains.map((_c, i) => `<${i ? `${url.cert(id)}/${i}` : url.cert(id)}>;rel="alternate"`).filter((_l, i) => i !== n);
      return reply(rep, 200, pem.trim() + '\n', { Link: links }, 'application/pem-certificate-chain');
    };
    post(app, '/cert/:id', 'kid', async (s, req, rep) => certificate(s, (req.params as { id: string }).id, 0, rep));
    post(app, '/cert/:id/:n', 'kid', async (s, req, rep) => {
      const { id, n } = req.params as { id: string; n: string };
      if (!/^[1-9]\d{0,2}$/.test(n)) throw new AcmeProblem('malformed', 'No such certificate chain.', 404);
      return certificate(s, id, Number(n), rep);
    });

    // renewalInfo (RFC 9773): a plain GET, no JWS.
    app.get('/acme/renewal-info/:certId', async (req, rep) => {
      try {
        const r = await service.renewalInfo((req.params as { certId: string }).certId);
        return await reply(rep, 200, { suggestedWindow: { start: iso(r.suggestedWindow.start), end: iso(r.suggestedWindow.end) } },
          { 'Retry-After': String(r.retryAfterS) });
      } catch (e) {
        return problem(req, rep, e);
      }
    });

    // revokeCert (RFC 8555 7.6): signed by an account (kid) or by the certificate's key (jwk).
    app.post('/acme/revoke-cert', async (req, rep) => {
      try {
        const h = parseJws(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)).header;
        const s = await signed(req, '/revoke-cert', h.jwk !== undefined ? 'jwk' : 'kid');
        const p = asObject(s.payload);
        await service.revoke(s.account ? { account: s.account } : { keySpki: s.jwk!.key.export({ type: 'spki', format: 'der' }) }, p);
        return await reply(rep, 200, '');
      } catch (e) {
        return problem(req, rep, e);
      }
    });
  };
}
