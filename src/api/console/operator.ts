// The console's operator pages (issue 25) under /console/api/operator, for console users the CLI
// flagged as operators (`certport user operator`). They call the very services the CLI's
// `certport orders …` and `account disable|enable` call, so the review rules live in one place:
//
//   GET  operator/orders[?status=N|all&account=UIN]   paid orders (default: waiting, 0 and 8)
//   GET  operator/orders/:id                          one, with everything submitted
//   GET  operator/orders/:id/letter[?download=1]      its confirmation letter (PDF, PNG or JPEG)
//   POST operator/orders/:id/approve {}               = orders approve (domain validation starts)
//   POST operator/orders/:id/reject {Reason}          = orders reject (status 2)
//   GET  operator/revocations[?state=S]               default: pending-confirmation (OV/EV letters in)
//   GET  operator/revocations/:id/letter[?download=1]
//   POST operator/revocations/:id/confirm {}          = orders confirm-revoke (→ 10)
//   POST operator/revocations/:id/cancel {Reason}     = orders cancel-revoke (→ 1)
//   GET  operator/accounts; GET operator/accounts/:uin/users
//   POST operator/accounts/:uin/disable|enable        = account disable|enable
//   GET  operator/ca                                  the roots and intermediates (PEM), CRL and OCSP links
// A session that is not an operator's gets HTTP 403 AuthFailure.UnauthorizedOperation; the
// reviewer recorded is the console user ("name (SubAccountUin)").
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmbeddedCa } from '../../ca/embedded/setup.js';
import { ServiceError } from '../../domain/errors.js';
import type { RevocationRecord, RevocationState } from '../../domain/revocation.js';
import { parseCertificateChain } from '../../pki/certificate.js';
import type { Services } from '../../actions/index.js';
import type { ConsoleService, Session } from '../../services/console-users.js';
import { crlFileName } from '../../services/crls.js';
import type { PaidOrderService } from '../../services/paid-orders.js';
import { revocationJson } from '../admin/revocations.js';

/** What routes.ts lends: its session check (cookie, Origin, CSRF), answer wrapper and body reader. */
export interface ConsoleGate {
  prefix: string;
  session(req: FastifyRequest, stateChange: boolean): Promise<Session>;
  guard(req: FastifyRequest, reply: FastifyReply, fn: () => Promise<Record<string, unknown>>): Promise<FastifyReply>;
  body(req: FastifyRequest): Record<string, unknown>;
  /** An answer that is not HTTP 200 (the gate's refusals). */
  refusal(status: number, code: string, message: string): Error;
  envelope(reply: FastifyReply, status: number, requestId: string, body: Record<string, unknown>): FastifyReply;
}

export interface OperatorDeps {
  console: ConsoleService;
  services: Pick<Services, 'paid' | 'revocations' | 'accounts' | 'crls'>;
  /** The embedded CA (its public files); absent in a setup without one. */
  ca?: EmbeddedCa | undefined;
  publicUrl: string;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const MIME: Record<string, string> = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg' };
const STATES: readonly RevocationState[] = ['pending-proof', 'pending-letter', 'pending-confirmation', 'revoked', 'cancelled'];

function orderView(x: Awaited<ReturnType<PaidOrderService['find']>>, letterBytes: number | null) {
  const { cert, order } = x;
  return {
    CertificateId: cert.id, Uin: cert.accountUin, Status: cert.status, StatusMsg: cert.statusMsg, ProductId: order.productId,
    Product: cert.productZhName, DealId: order.dealId, DomainNum: order.domainNum, TimeSpan: order.timeSpan, Domains: cert.sans,
    // Internal links (company and manager ids) stay out, as SubmittedData leaves them out.
    Submitted: order.submitted ? Object.fromEntries(Object.entries(order.submitted).filter(([k]) => !k.startsWith('_'))) : null,
    CsrUploaded: order.csrPem !== null, Letter: order.letterType, LetterBytes: letterBytes,
    // 0 before approval waits for a reviewer; 0 with a deadline is approved and validating.
    AwaitingReview: cert.status === 0 && cert.dvDeadline === null, Validating: cert.status === 0 && cert.dvDeadline !== null,
    ReviewedBy: order.reviewedBy, ReviewedAt: iso(order.reviewedAt), ReviewNote: order.reviewNote, CreatedAt: iso(order.createdAt),
  };
}

export function operatorRoutes(app: FastifyInstance, g: ConsoleGate, d: OperatorDeps) {
  const P = `${g.prefix}/operator`;
  const { paid, revocations, accounts, crls } = d.services;

  /** The session, when it is an operator's; 403 otherwise (checked on every request, so taking the role away works at once). */
  async function operator(req: FastifyRequest, stateChange: boolean): Promise<Session> {
    const s = await g.session(req, stateChange);
    if (!(await d.console.isOperator(s.userUin))) {
      throw g.refusal(403, 'AuthFailure.UnauthorizedOperation', 'Only console operators may use this (certport user operator … --on).');
    }
    return s;
  }
  const reviewer = (s: Session) => `${s.userName} (${s.userUin})`;
  const reason = (b: Record<string, unknown>) => {
    const r = typeof b.Reason === 'string' ? b.Reason.trim() : '';
    if (!r) throw new ServiceError('MissingParameter', 'Reason is required.');
    if (r.length > 500) throw new ServiceError('InvalidParameterValue', 'Reason has at most 500 characters.');
    return r;
  };
  const view = async (id: string) => {
    const x = await paid.find(id);
    return orderView(x, x.order.letterSealed ? paid.letter(x.order)!.body.length : null);
  };

  /** A stored letter, shown in the browser or saved (?download=1). Its type was told from its content when it came in. */
  async function letter(req: FastifyRequest<{ Params: { id: string }; Querystring: { download?: string } }>, reply: FastifyReply,
    read: (id: string) => Promise<{ type: string; body: Buffer } | null>, what: string) {
    try {
      await operator(req, false);
      const l = await read(req.params.id);
      if (!l) return g.envelope(reply, 404, req.id, { Error: { Code: 'ResourceNotFound', Message: `The certificate ${req.params.id} has no ${what}.` } });
      const name = `${what.replace(/ /g, '-')}-${req.params.id.replace(/[^A-Za-z0-9]/g, '')}.${l.type}`;
      return reply.code(200).header('content-type', MIME[l.type] ?? 'application/octet-stream').header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .header('content-disposition', `${req.query.download === '1' ? 'attachment' : 'inline'}; filename="${name}"`)
        .send(l.body);
    } catch (e) {
      // The gate's refusals (401, 403) and a missing order, in the envelope as every console answer.
      return g.guard(req, reply, async () => { throw e; });
    }
  }

  // Paid-order review.
  app.get<{ Querystring: { status?: string; account?: string } }>(`${P}/orders`, (req, reply) => g.guard(req, reply, async () => {
    await operator(req, false);
    const q = req.query;
    const status = q.status ?? '';
    if (status !== '' && status !== 'all' && !/^\d{1,2}$/.test(status)) throw new ServiceError('InvalidParameterValue', 'status is a status number or all.');
    const list = await paid.list({
      ...(q.account ? { accountUin: q.account } : {}),
      ...(status === 'all' ? {} : { statuses: status === '' ? [0, 8] : [Number(status)] }),
      limit: 500,
    });
    // "Waiting" means waiting for a person: an approved order validating its domains is not.
    const rows = list.filter((x) => status !== '' || !(x.cert.status === 0 && x.cert.dvDeadline !== null));
    return { TotalCount: rows.length, Orders: rows.map((x) => orderView(x, null)) };
  }));
  app.get<{ Params: { id: string } }>(`${P}/orders/:id`, (req, reply) => g.guard(req, reply, async () => {
    await operator(req, false);
    return view(req.params.id);
  }));
  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(`${P}/orders/:id/letter`, (req, reply) =>
    letter(req, reply, async (id) => paid.letter((await paid.find(id)).order), 'confirmation letter'));
  app.post<{ Params: { id: string } }>(`${P}/orders/:id/approve`, (req, reply) => g.guard(req, reply, async () => {
    const s = await operator(req, true);
    await paid.approve(reviewer(s), req.params.id);
    req.log.info({ cert: req.params.id, operator: s.userUin }, 'console: order approved');
    return view(req.params.id);
  }));
  app.post<{ Params: { id: string } }>(`${P}/orders/:id/reject`, (req, reply) => g.guard(req, reply, async () => {
    const s = await operator(req, true);
    await paid.reject(reviewer(s), req.params.id, reason(g.body(req)));
    req.log.info({ cert: req.params.id, operator: s.userUin }, 'console: order rejected');
    return view(req.params.id);
  }));

  // OV/EV revocations waiting for an operator.
  app.get<{ Querystring: { state?: string; account?: string } }>(`${P}/revocations`, (req, reply) => g.guard(req, reply, async () => {
    await operator(req, false);
    const state = (req.query.state || 'pending-confirmation') as RevocationState;
    if (!STATES.includes(state)) throw new ServiceError('InvalidParameterValue', `state is one of ${STATES.join(', ')}.`);
    const list = await revocations.list({ states: [state], ...(req.query.account ? { accountUin: req.query.account } : {}), limit: 500 });
    return { TotalCount: list.length, Revocations: list.map(revocationJson) };
  }));
  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(`${P}/revocations/:id/letter`, (req, reply) =>
    letter(req, reply, async (id) => {
      const r = await revocations.get(id);
      return r ? revocations.letter(r) : null;
    }, 'revocation letter'));
  const revocation = async (id: string): Promise<RevocationRecord> => {
    const r = await revocations.get(id);
    if (!r) throw new ServiceError('ResourceNotFound', `The certificate ${id} has no revocation.`);
    return r;
  };
  app.post<{ Params: { id: string } }>(`${P}/revocations/:id/confirm`, (req, reply) => g.guard(req, reply, async () => {
    const s = await operator(req, true);
    return revocationJson(await revocations.confirm(reviewer(s), req.params.id));
  }));
  app.post<{ Params: { id: string } }>(`${P}/revocations/:id/cancel`, (req, reply) => g.guard(req, reply, async () => {
    const s = await operator(req, true);
    await revocations.cancel(reviewer(s), req.params.id, reason(g.body(req)));
    return revocationJson(await revocation(req.params.id));
  }));

  // Accounts and their users.
  app.get(`${P}/accounts`, (req, reply) => g.guard(req, reply, async () => {
    await operator(req, false);
    const list = await accounts.listAccounts();
    return { TotalCount: list.length, Accounts: list.map((a) => ({ Uin: a.uin, Name: a.name, Status: a.status, CreatedAt: iso(a.createdAt) })) };
  }));
  app.get<{ Params: { uin: string } }>(`${P}/accounts/:uin/users`, (req, reply) => g.guard(req, reply, async () => {
    await operator(req, false);
    const users = await d.console.describeUsers(req.params.uin);
    return {
      TotalCount: users.length,
      Users: users.map((u) => ({ SubAccountUin: u.uin, UserName: u.name, IsRoot: u.uin === u.accountUin, HasPassword: u.hasPassword, IsOperator: u.operator, CreatedAt: iso(u.createdAt) })),
    };
  }));
  app.post<{ Params: { uin: string; change: string } }>(`${P}/accounts/:uin/:change`, (req, reply) => g.guard(req, reply, async () => {
    const s = await operator(req, true);
    const change = req.params.change;
    if (change !== 'disable' && change !== 'enable') throw new ServiceError('InvalidAction', `No account action ${change}.`);
    // Disabling one's own account would end this very session with no way back in from here.
    if (change === 'disable' && req.params.uin === s.accountUin) throw new ServiceError('FailedOperation', 'You cannot disable the account you are signed in with; use the CLI.');
    await accounts.setAccountStatus(req.params.uin, change === 'disable' ? 'disabled' : 'active');
    req.log.info({ account: req.params.uin, operator: s.userUin }, `console: account ${change}d`);
    return { Uin: req.params.uin, Status: change === 'disable' ? 'disabled' : 'active' };
  }));

  // The CA: what relying parties install and where revocation is published.
  app.get(`${P}/ca`, (req, reply) => g.guard(req, reply, async () => {
    await operator(req, false);
    const base = new URL(d.publicUrl).href.replace(/\/+$/, '');
    const certs = [...(d.ca?.files.entries() ?? [])].filter(([name]) => name.endsWith('.pem')).map(([name, f]) => {
      const pem = f.body.toString('utf8');
      const c = parseCertificateChain(pem).leaf;
      return {
        Name: name, Subject: c.subject, Issuer: c.issuer, IsRoot: c.selfSigned, KeyType: c.encryptAlgorithm, SerialNumber: c.serialHex,
        NotBefore: iso(c.notBefore), NotAfter: iso(c.notAfter), FingerprintSha256: c.sha256, Pem: pem,
        Url: `${base}/ca/${name}`, Path: `/ca/${name}`,
      };
    }).sort((a, b) => Number(b.IsRoot) - Number(a.IsRoot) || a.Name.localeCompare(b.Name));
    const crlList = (crls?.names() ?? []).map((n) => ({ Issuer: n, Url: `${base}/ca/${crlFileName(n)}`, Path: `/ca/${crlFileName(n)}` }));
    return { Certificates: certs, Crls: crlList, OcspUrl: `${base}/ocsp` };
  }));
}
