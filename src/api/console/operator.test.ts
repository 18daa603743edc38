// The console's operator endpoints without a browser (issue 25), on SQLite and PostgreSQL: the
// role granted and taken by the real CLI; every operator endpoint refused (403, AuthFailure) to a
// customer, even for their own order, and to no session (401) or a missing CSRF token; an OV
// order with a confirmation letter (CERTPORT_PAID_LETTER=OV,EV) reviewed through the console
// (the letter's bytes, approve → domain validation → issued, reject with a reason); an OV
// revocation letter confirmed; accounts disabled and enabled; the CA's files and CRL links.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, sdkClient, startTestService, type TestService } from '../../testing/harness.js';
import { ConsoleClient } from '../../testing/console-client.js';
import { runCli } from '../../testing/cli.js';
import { waitFor } from '../../testing/dv.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { ORG, png } from '../../testing/paid-fixtures.js';

let dns: ChallTestSrv;
before(async () => { dns = await startChallTestSrv(); });
after(async () => { await dns?.stop(); });

for (const backend of BACKENDS) {
  describe(`console operator endpoints (${backend})`, () => {
    let t: TestService;
    let base: string;
    let opsUin = '';
    let opUser = '';
    let customer: ConsoleClient;
    let op: ConsoleClient;
    let other: { uin: string };
    let orderId = '';
    const CUSTOMER_PW = 'customer-password-1';
    const OP_PW = 'operator-password-1';

    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '300', CERTPORT_PAID_LETTER: 'OV,EV' } });
      base = `http://127.0.0.1:${t.port}`;
      await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, CUSTOMER_PW);
      customer = new ConsoleClient(base);
      assert.equal((await customer.login(t.cred.accountUin, CUSTOMER_PW)).status, 200);
      const o = await t.newAccount();
      other = { uin: o.accountUin };
      await t.svc.core.console.setPassword(o.accountUin, o.accountUin, 'other-password-1');
      opsUin = (await t.newAccount()).accountUin;
    });
    after(async () => { await t?.close(); });

    test('the CLI makes an operator (user create --operator) and takes the role (user operator --off) with effect on the next request', async () => {
      const made = await runCli(t.env, 'user', 'create', '--account', opsUin, '--name', 'rita', '--password', OP_PW, '--operator', '--json');
      assert.equal(made.code, 0, made.stderr);
      const u = JSON.parse(made.stdout) as { SubAccountUin: string; IsOperator: boolean };
      assert.equal(u.IsOperator, true);
      opUser = u.SubAccountUin;
      op = new ConsoleClient(base);
      const who = await op.login('rita', OP_PW, opsUin);
      assert.equal(who.status, 200);
      assert.equal(who.body.Response.IsOperator, true);
      assert.equal((await customer.call('GET', 'whoami')).body.Response.IsOperator, false);
      assert.equal((await op.call('GET', 'operator/orders')).status, 200);

      assert.equal((await runCli(t.env, 'user', 'operator', '--account', opsUin, '--user', opUser, '--off')).code, 0);
      const refused = await op.call('GET', 'operator/orders');
      assert.equal(refused.status, 403, 'taken away at once, in the same session');
      assert.equal((await op.call('GET', 'whoami')).body.Response.IsOperator, false);
      const listed = await runCli(t.env, 'user', 'operators', '--json');
      assert.deepEqual(JSON.parse(listed.stdout), []);
      assert.equal((await runCli(t.env, 'user', 'operator', '--account', opsUin, '--user', opUser, '--on')).code, 0);
      assert.equal((await op.call('GET', 'operator/orders')).status, 200);
      assert.equal((JSON.parse((await runCli(t.env, 'user', 'operators', '--json')).stdout) as { SubAccountUin: string }[])[0]!.SubAccountUin, opUser);
      // Only a user of that account can be flagged; neither --on nor --off is an error.
      const foreign = await runCli(t.env, 'user', 'operator', '--account', other.uin, '--user', opUser, '--on');
      assert.notEqual(foreign.code, 0);
      assert.match(foreign.stderr, /No user/);
      assert.notEqual((await runCli(t.env, 'user', 'operator', '--account', opsUin, '--user', opUser)).code, 0);
    });

    test('an OV order submitted through the console waits for its letter; the letter\'s size and format are the spec\'s codes', async () => {
      const domain = `ov-${randomBytes(3).toString('hex')}.example.test`;
      orderId = ((await customer.action('CreateCertificate', { ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds as string[])[0]!;
      await customer.action('SubmitCertificateInformation', { CertificateId: orderId, CsrType: 'online', CertificateDomain: domain, VerifyType: 'DNS', ...ORG });
      assert.equal((await customer.action('CommitCertificateInformation', { CertificateId: orderId })).Status, 8, 'OV waits for a letter with CERTPORT_PAID_LETTER=OV,EV');
      for (const [letter, code] of [[Buffer.from('%PDF-1.4 tiny').toString('base64'), 'FailedOperation.ConfirmLetterTooSmall'],
        [randomBytes(4096).toString('base64'), 'FailedOperation.InvalidConfirmLetterFormat'],
        [Buffer.alloc(1.5 * 1024 * 1024, 0x25).toString('base64'), 'FailedOperation.ConfirmLetterTooLarge']] as const) {
        await assert.rejects(customer.action('UploadConfirmLetter', { CertificateId: orderId, ConfirmLetter: letter }), (e: { code: string }) => e.code === code, code);
      }
      // Another account's user cannot touch it.
      const o = new ConsoleClient(base);
      await o.login(other.uin, 'other-password-1');
      await assert.rejects(o.action('UploadConfirmLetter', { CertificateId: orderId, ConfirmLetter: png() }), (e: { code: string }) => /NotFound/.test(e.code));
      await assert.rejects(o.action('DescribeCertificateDetail', { CertificateId: orderId }), (e: { code: string }) => /NotFound/.test(e.code));
      await customer.action('UploadConfirmLetter', { CertificateId: orderId, ConfirmLetter: png() });
      assert.equal((await customer.action('DescribeCertificate', { CertificateId: orderId })).Status, 0);
    });

    test('operator endpoints refuse customers (HTTP 403, AuthFailure, Tencent envelope), no session (401) and a missing CSRF token', async () => {
      const paths: ['GET' | 'POST', string][] = [['GET', 'operator/orders'], ['GET', `operator/orders/${orderId}`], ['GET', `operator/orders/${orderId}/letter`],
        ['POST', `operator/orders/${orderId}/approve`], ['POST', `operator/orders/${orderId}/reject`], ['GET', 'operator/revocations'],
        ['GET', `operator/revocations/${orderId}/letter`], ['POST', `operator/revocations/${orderId}/confirm`], ['GET', 'operator/accounts'],
        ['GET', `operator/accounts/${other.uin}/users`], ['POST', `operator/accounts/${other.uin}/disable`], ['GET', 'operator/ca']];
      for (const [method, p] of paths) {
        // The customer owns this very order: still not theirs to approve.
        const r = await customer.call(method, p, { Reason: 'no' });
        assert.equal(r.status, 403, `${method} ${p}`);
        assert.equal(r.body.Response.Error.Code, 'AuthFailure.UnauthorizedOperation', p);
        assert.match(r.body.Response.RequestId, /\S/);
        assert.equal((await new ConsoleClient(base).call(method, p)).status, 401, `${p} without a session`);
      }
      assert.equal((await customer.action('DescribeCertificate', { CertificateId: orderId })).Status, 0, 'nothing changed');
      assert.equal((await t.svc.core.services.accounts.listAccounts()).find((a) => a.uin === other.uin)!.status, 'active');
      const noCsrf = await op.call('POST', `operator/orders/${orderId}/approve`, {}, { 'x-csrf-token': '' });
      assert.equal(noCsrf.status, 403);
      const evil = await op.call('GET', 'operator/orders', undefined, { 'sec-fetch-site': 'cross-site' });
      assert.equal(evil.status, 403, 'a cross-site read is refused too');
    });

    test('the operator sees the order with what was submitted and its letter (the same bytes), and approves: validation, then issued', async () => {
      const list = await op.call('GET', 'operator/orders');
      const row = (list.body.Response.Orders as { CertificateId: string; Letter: string; AwaitingReview: boolean; Submitted: Record<string, string> }[])
        .find((x) => x.CertificateId === orderId)!;
      assert.equal(row.Letter, 'png');
      assert.equal(row.AwaitingReview, true);
      assert.equal(row.Submitted.OrganizationName, ORG.OrganizationName);
      assert.equal(row.Submitted.KeyPassword, undefined);
      assert.ok(!Object.keys(row.Submitted).some((k) => k.startsWith('_')), 'internal links stay out');

      const stored = t.svc.core.services.paid.letter((await t.svc.core.services.paid.find(orderId)).order)!.body;
      const letter = await fetch(`${base}/console/api/operator/orders/${orderId}/letter`, { headers: { cookie: op.cookie } });
      assert.equal(letter.status, 200);
      assert.equal(letter.headers.get('content-type'), 'image/png');
      assert.equal(letter.headers.get('x-content-type-options'), 'nosniff');
      assert.match(letter.headers.get('content-disposition')!, /^inline/);
      assert.ok(Buffer.from(await letter.arrayBuffer()).equals(stored));
      const saved = await fetch(`${base}/console/api/operator/orders/${orderId}/letter?download=1`, { headers: { cookie: op.cookie } });
      assert.match(saved.headers.get('content-disposition')!, new RegExp(`^attachment; filename="confirmation-letter-${orderId}\\.png"`));
      const none = await op.call('GET', 'operator/orders/NoSuchId/letter');
      assert.match(none.body.Response.Error.Code, /NotFound/);

      const approved = await op.call('POST', `operator/orders/${orderId}/approve`, {});
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.Response.ReviewedBy, `rita (${opUser})`);
      assert.equal(approved.body.Response.Validating, true);
      const again = await op.call('POST', `operator/orders/${orderId}/approve`, {});
      assert.equal(again.body.Response.Error.Code, 'FailedOperation.InvalidCertificateStatusCode', 'the service\'s rules: approved once');
      assert.ok(!(await op.call('GET', 'operator/orders')).body.Response.Orders.some((x: { CertificateId: string }) => x.CertificateId === orderId),
        'no longer waiting for a person');
      const sdk = sdkClient(t.port, t.cred);
      const d = await waitFor(sdk, orderId, (x) => (x.DvAuthDetail?.DvAuths?.length ?? 0) > 0);
      for (const a of d.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(sdk, orderId, (x) => x.Status === 1);
      const logs = (await customer.action('DescribeCertificateOperateLogs', { Limit: 100 })).OperateLogs as { CertId: string; Type: string }[];
      assert.ok(logs.some((l) => l.CertId === orderId && l.Type === 'approve'));
    });

    test('rejecting needs a reason, which the customer then reads', async () => {
      const id = ((await customer.action('CreateCertificate', { ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds as string[])[0]!;
      await customer.action('SubmitCertificateInformation', { CertificateId: id, CsrType: 'online', CertificateDomain: `rej-${randomBytes(3).toString('hex')}.example.test`, ...ORG });
      await customer.action('CommitCertificateInformation', { CertificateId: id });
      assert.equal((await op.call('POST', `operator/orders/${id}/reject`, {})).body.Response.Error.Code, 'MissingParameter');
      const r = await op.call('POST', `operator/orders/${id}/reject`, { Reason: 'The organization could not be verified.' });
      assert.equal(r.body.Response.Status, 2);
      const d = await customer.action('DescribeCertificate', { CertificateId: id });
      assert.equal(d.Status, 2);
      assert.equal(d.StatusMsg, 'The organization could not be verified.');
      const rejected = await op.call('GET', 'operator/orders?status=2');
      assert.deepEqual(rejected.body.Response.Orders.map((x: { CertificateId: string }) => x.CertificateId), [id]);
      assert.equal((await op.call('GET', 'operator/orders?status=x')).body.Response.Error.Code, 'InvalidParameterValue');
    });

    test('an OV revocation: the customer\'s letter (12 → 9), the operator opens it and confirms (10)', async () => {
      const revoked = await customer.action('RevokeCertificate', { CertificateId: orderId, Reason: 'cessationOfOperation' });
      assert.ok(revoked);
      assert.equal((await customer.action('DescribeCertificate', { CertificateId: orderId })).Status, 12);
      assert.equal((await op.call('GET', 'operator/revocations')).body.Response.TotalCount, 0, 'nothing to confirm before the letter');
      const letter = png();
      await customer.action('UploadRevokeLetter', { CertificateId: orderId, RevokeLetter: letter });
      assert.equal((await customer.action('DescribeCertificate', { CertificateId: orderId })).Status, 9);
      const list = await op.call('GET', 'operator/revocations');
      assert.deepEqual(list.body.Response.Revocations.map((r: { CertificateId: string; Letter: string }) => [r.CertificateId, r.Letter]), [[orderId, 'png']]);
      const body = await fetch(`${base}/console/api/operator/revocations/${orderId}/letter`, { headers: { cookie: op.cookie } });
      assert.ok(Buffer.from(await body.arrayBuffer()).equals(Buffer.from(letter, 'base64')));
      const done = await op.call('POST', `operator/revocations/${orderId}/confirm`, {});
      assert.equal(done.body.Response.State, 'revoked');
      assert.equal(done.body.Response.ConfirmedBy, `rita (${opUser})`);
      assert.equal((await customer.action('DescribeCertificate', { CertificateId: orderId })).Status, 10);
      assert.equal((await op.call('GET', 'operator/revocations?state=bogus')).body.Response.Error.Code, 'InvalidParameterValue');
    });

    test('accounts and users: list, disable (its console sign-in stops), enable; the operator\'s own account cannot be disabled here', async () => {
      const accounts = (await op.call('GET', 'operator/accounts')).body.Response.Accounts as { Uin: string; Status: string }[];
      for (const uin of [t.cred.accountUin, other.uin, opsUin]) assert.ok(accounts.some((a) => a.Uin === uin), uin);
      const users = (await op.call('GET', `operator/accounts/${opsUin}/users`)).body.Response.Users as { SubAccountUin: string; IsOperator: boolean; HasPassword: boolean; IsRoot: boolean }[];
      const rita = users.find((u) => u.SubAccountUin === opUser)!;
      assert.deepEqual([rita.IsOperator, rita.HasPassword, rita.IsRoot], [true, true, false]);
      assert.equal(users.find((u) => u.IsRoot)!.HasPassword, false);
      assert.match((await op.call('GET', 'operator/accounts/999/users')).body.Response.Error.Code, /NotFound/);

      assert.equal((await op.call('POST', `operator/accounts/${other.uin}/disable`, {})).body.Response.Status, 'disabled');
      assert.equal((await new ConsoleClient(base).login(other.uin, 'other-password-1')).status, 401);
      assert.equal((await op.call('POST', `operator/accounts/${other.uin}/enable`, {})).body.Response.Status, 'active');
      assert.equal((await new ConsoleClient(base).login(other.uin, 'other-password-1')).status, 200);
      assert.equal((await op.call('POST', `operator/accounts/${opsUin}/disable`, {})).body.Response.Error.Code, 'FailedOperation');
      assert.equal((await op.call('POST', `operator/accounts/${other.uin}/delete`, {})).body.Response.Error.Code, 'InvalidAction');
    });

    test('the CA page: roots and intermediates as PEM with their details, and links that serve the files and the CRLs', async () => {
      const ca = (await op.call('GET', 'operator/ca')).body.Response as {
        Certificates: { Name: string; IsRoot: boolean; Subject: string; Pem: string; Path: string; FingerprintSha256: string; NotAfter: string }[];
        Crls: { Issuer: string; Path: string }[]; OcspUrl: string;
      };
      const root = ca.Certificates.find((c) => c.Name === 'root.pem')!;
      assert.equal(root.IsRoot, true);
      assert.equal(root.Pem.trim(), t.svc.core.ca.rootPem.trim());
      assert.match(root.FingerprintSha256, /^[0-9a-f]{64}$/);
      assert.ok(ca.Certificates.some((c) => !c.IsRoot), 'intermediates too');
      assert.equal(ca.Certificates[0]!.IsRoot, true, 'roots first');
      assert.equal(await (await fetch(base + root.Path)).text(), root.Pem);
      assert.ok(ca.Crls.some((c) => c.Path === '/ca/rsa-intermediate.crl'));
      for (const c of ca.Crls) {
        const r = await fetch(base + c.Path);
        assert.equal(r.status, 200, c.Path);
        assert.equal(r.headers.get('content-type'), 'application/pkix-crl');
      }
      assert.equal(ca.OcspUrl, `${base}/ocsp`);
    });
  });
}
