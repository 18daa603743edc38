// Paid (OV/EV) orders end to end: the official SDK for the customer's side, the real
// `certport orders` CLI (a child process on the same database) for the reviewer's side,
// a real DNS server for domain validation, and openssl for the issued subject and policy.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { run, withTempDir } from '../testing/pki-fixtures.js';
import { waitFor } from '../testing/dv.js';
import { BACKENDS, expectCode, sdkClient, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';
import { CLI_ARGS } from '../testing/cli.js';
import { ORG, png } from '../testing/paid-fixtures.js';

const ADMIN = 'admin-' + randomBytes(12).toString('hex');

let dns: ChallTestSrv;
before(async () => { dns = await startChallTestSrv(); });
after(async () => { await dns?.stop(); });

for (const backend of BACKENDS) {
  describe(`paid OV/EV orders (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    const orders = async (...args: string[]) => {
      const r = await promisify(execFile)(process.execPath, [...CLI_ARGS, 'orders', ...args], { env: { ...process.env, ...t.env } });
      return r.stdout;
    };
    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '500', CERTPORT_ADMIN_TOKEN: ADMIN } });
      c = t.client;
    });
    after(async () => { await t.close(); });

    async function validateAndWait(id: string) {
      const d = await waitFor(c, id, (x) => x.DvAuthDetail !== null && x.DvAuthDetail !== undefined);
      for (const a of d.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id, (x) => x.Status === 1);
    }

    async function subjectText(id: string) {
      const d = await c.DescribeCertificateDetail({ CertificateId: id });
      return withTempDir(async (dir) => {
        const leaf = d.CertificatePublicKey!.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';
        writeFileSync(path.join(dir, 'leaf.pem'), leaf);
        return run('openssl', ['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-text', '-nameopt', 'RFC2253']);
      });
    }

    test('EV: create → submit → commit (8) → confirmation letter (0) → approve (CLI) → DNS validation → issued with the EV subject and policy', async () => {
      const domain = `ev-${randomBytes(3).toString('hex')}.example.test`;
      const made = await c.CreateCertificate({ ProductId: 46, DomainNum: 1, TimeSpan: 1, AutoVoucher: 1 });
      const id = made.CertificateIds![0]!;
      assert.match(made.DealIds![0]!, /^\d{23}$/);
      let d = await c.DescribeCertificate({ CertificateId: id });
      assert.equal(d.Status, 5);
      assert.equal(d.PackageType, '46');
      assert.match(d.ProductZhName!, /EV/);
      // Nothing but submission is allowed yet.
      await expectCode(c.CommitCertificateInformation({ CertificateId: id }), 'FailedOperation.InvalidParam');
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: png() }), 'FailedOperation.InvalidCertificateStatusCode');
      await expectCode(c.CancelAuditCertificate({ CertificateId: id }), 'FailedOperation.CertificateNotFoundOrCantCancel');
      await expectCode(c.ModifyCertificateResubmit({ CertificateId: id }), 'FailedOperation.CertificateStatusNotAllowResubmit');
      const missing = await expectCode(c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: domain }), 'FailedOperation.InvalidParam');
      assert.match(missing, /OrganizationName/);

      await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: domain, KeyPassword: 'pfx-secret', VerifyType: 'DNS', ...ORG });
      const detail = await c.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(detail.SubmittedData!.OrganizationName, ORG.OrganizationName);
      assert.equal(detail.SubmittedData!.AdminEmail, ORG.AdminEmail);
      assert.equal(detail.SubmittedData!.CertificateDomain, domain);
      assert.deepEqual(detail.SubmittedData!.DomainList, [domain]);
      assert.equal(detail.SubmittedData!.KeyPassword, 'pfx-secret');
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).SubmittedData!.KeyPassword, null, 'the password only in the detail');

      const committed = await c.CommitCertificateInformation({ CertificateId: id });
      assert.equal(committed.Status, 8, 'EV needs a confirmation letter');
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).Status, 8);
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: 'not base64 at all!' }), 'FailedOperation.InvalidParam');
      // The spec's own codes for the letter's size and format (issue 22).
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: Buffer.from('%PDF-1.4 tiny').toString('base64') }), 'FailedOperation.ConfirmLetterTooSmall');
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: randomBytes(4096).toString('base64') }), 'FailedOperation.InvalidConfirmLetterFormat');
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: Buffer.alloc(1.5 * 1024 * 1024, 0x25).toString('base64') }), 'FailedOperation.ConfirmLetterTooLarge');
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: 'A'.repeat(9 * 1024 * 1024) }), 'FailedOperation.ConfirmLetterTooLarge');
      const up = await c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: png() });
      assert.equal(up.IsSuccess, true);
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).Status, 0);

      const listed = JSON.parse(await orders('list', '--status', '0', '--json')) as { CertificateId: string; Letter: string }[];
      assert.equal(listed.find((o) => o.CertificateId === id)?.Letter, 'png');
      const shown = JSON.parse(await orders('show', id, '--json')) as { Submitted: Record<string, string>; Letter: { type: string } };
      assert.equal(shown.Submitted.OrganizationName, ORG.OrganizationName);
      assert.equal(shown.Submitted.KeyPassword, undefined, 'the key password is not shown to reviewers');
      await orders('approve', id, '--reviewer', 'rita');
      await validateAndWait(id);
      const text = await subjectText(id);
      assert.match(text, /O=Example Widgets Ltd/);
      assert.match(text, /C=CN/);
      assert.match(text, /L=Shenzhen/);
      assert.match(text, /ST=Guangdong/);
      assert.match(text, /jurisdictionC|1\.3\.6\.1\.4\.1\.311\.60\.2\.1\.3/);
      assert.match(text, /businessCategory|2\.5\.4\.15/);
      assert.match(text, /Policy: 2\.23\.140\.1\.1\b/);
      d = await c.DescribeCertificate({ CertificateId: id });
      assert.equal(d.Status, 1);
      const days = (Date.parse(d.CertEndTime!.replace(' ', 'T') + 'Z') - Date.parse(d.CertBeginTime!.replace(' ', 'T') + 'Z')) / 86_400_000;
      assert.ok(days > 364 && days <= 365, `one year, got ${days}`);
      const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id).map((l) => l.Type);
      for (const step of ['create', 'submit', 'commit', 'uploadConfirmLetter', 'approve', 'issued']) assert.ok(logs.includes(step), `${step} in ${logs}`);
    });

    test('OV: rejection with a reason, resubmission (same id), approval, OV subject and policy; cancel at each status', async () => {
      const domain = `ov-${randomBytes(3).toString('hex')}.example.test`;
      const id = (await c.CreateCertificate({ ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      const GRACE = { ...ORG, AdminEmail: 'grace@example.test', AdminFirstName: 'Grace', AdminLastName: 'Hopper' };
      await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: domain, ...GRACE });
      assert.equal((await c.CommitCertificateInformation({ CertificateId: id })).Status, 0, 'OV goes straight to review');
      await expectCode(c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: png() }), 'FailedOperation.InvalidCertificateStatusCode');
      await orders('reject', id, '--reason', 'The organization could not be verified');
      let d = await c.DescribeCertificate({ CertificateId: id });
      assert.equal(d.Status, 2);
      assert.equal(d.StatusMsg, 'The organization could not be verified');
      const again = await c.ModifyCertificateResubmit({ CertificateId: id });
      assert.equal(again.CertificateId, id);
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).Status, 5);
      await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: domain, ...GRACE, OrganizationName: 'Example Widgets Group' });
      await c.CommitCertificateInformation({ CertificateId: id });
      await orders('approve', id);
      await validateAndWait(id);
      const text = await subjectText(id);
      assert.match(text, /O=Example Widgets Group/);
      assert.match(text, /Policy: 2\.23\.140\.1\.2\.2/);
      await expectCode(c.CancelCertificateOrder({ CertificateId: id }), 'FailedOperation.InvalidCertificateStatusCode');
      // A reissue keeps the vetted organization.
      const { CertificateId: re } = await c.ReplaceCertificate({ CertificateId: id, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'ECC', CertCSRKeyParameter: 'prime256v1' });
      await validateAndWait(re!);
      const reText = await subjectText(re!);
      assert.match(reText, /O=Example Widgets Group/);
      assert.match(reText, /Policy: 2\.23\.140\.1\.2\.2/);

      // Cancelling: at 5 (CancelCertificateOrder), at 0 (CancelAuditCertificate), and reopened.
      const a = (await c.CreateCertificate({ ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      await c.CancelCertificateOrder({ CertificateId: a });
      assert.equal((await c.DescribeCertificate({ CertificateId: a })).Status, 7);
      await c.ModifyCertificateResubmit({ CertificateId: a });
      await c.SubmitCertificateInformation({ CertificateId: a, CsrType: 'online', CertificateDomain: `x.${domain}`, ...ORG, AdminEmail: 'nobody@example.test' });
      await c.CommitCertificateInformation({ CertificateId: a });
      assert.equal((await c.CancelAuditCertificate({ CertificateId: a })).Result, true);
      d = await c.DescribeCertificate({ CertificateId: a });
      assert.equal(d.Status, 7);
      await expectCode(c.CancelAuditCertificate({ CertificateId: a }), 'FailedOperation.CertificateNotFoundOrCantCancel');
    });

    test('organizations are entered once: companies and managers, verified by the approval, then orders skip review', async () => {
      const companies = await c.DescribeCompanies({});
      const widgets = companies.Companies!.find((x) => x.CompanyName === ORG.OrganizationName)!;
      assert.ok(widgets, JSON.stringify(companies));
      assert.equal(widgets.CompanyCountry, 'CN');
      assert.equal(widgets.CompanyCity, 'Shenzhen');
      const managers = await c.DescribeManagers({ CompanyId: widgets.CompanyId! });
      const ada = managers.Managers!.find((m) => m.ManagerMail === 'ada@example.test')!;
      assert.equal(ada.Status, 'ok', 'verified by the EV approval');
      assert.match(ada.ExpireTime!, /^\d{4}-/);
      const detail = await c.DescribeManagerDetail({ ManagerId: ada.ManagerId! });
      assert.equal(detail.ContactMail, ORG.ContactEmail);
      assert.equal(detail.CompanyInfo!.CompanyName, ORG.OrganizationName);
      // A new order for the same manager is approved without a reviewer.
      const id = (await c.CreateCertificate({ ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: `auto-${randomBytes(3).toString('hex')}.example.test`, ...ORG });
      assert.equal((await c.CommitCertificateInformation({ CertificateId: id })).Status, 0);
      await validateAndWait(id);
      const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id);
      assert.ok(logs.some((l) => l.Type === 'approve' && /auto/.test(l.Action ?? '')), JSON.stringify(logs));
      // The newer actions: the organization named by ManagerId, an ECC key, IsAudited.
      const id2 = (await c.CreateCertificate({ ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      await expectCode(c.CertificateInfoSubmit({ CertId: id2, GenCsrType: 'online', CertCommonName: 'x.example.test', CompanyType: 3, CompanyId: '' }), 'FailedOperation.InvalidParam');
      await c.CertificateInfoSubmit({
        CertId: id2, GenCsrType: 'online', CertCommonName: `new-${randomBytes(3).toString('hex')}.example.test`, CompanyType: 2,
        CompanyId: String(widgets.CompanyId), ManagerId: String(ada.ManagerId), CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1',
      });
      const sub = await c.CertificateOrderSubmit({ CertId: id2 });
      assert.equal(sub.Status, 0);
      assert.equal(sub.IsAudited, true);
      await validateAndWait(id2);
      assert.equal((await c.DescribeCertificateDetail({ CertificateId: id2 })).EncryptAlgorithm, 'ECC 256');
      assert.match(await subjectText(id2), /O=Example Widgets Ltd/);
      // Managers: re-verify, submit for audit, delete; another account sees none of it.
      await expectCode(c.SubmitAuditManager({ ManagerId: ada.ManagerId! }), 'FailedOperation');
      assert.equal((await c.VerifyManager({ ManagerId: ada.ManagerId! })).ManagerId, ada.ManagerId);
      assert.equal((await c.DescribeManagerDetail({ ManagerId: ada.ManagerId! })).Status, 'audit');
      await expectCode(c.DeleteManager({ ManagerId: ada.ManagerId! }), 'FailedOperation');
      const nobody = (await c.DescribeManagers({ CompanyId: widgets.CompanyId!, ManagerMail: 'nobody@example.test' })).Managers![0]!;
      assert.equal(nobody.Status, 'none');
      await c.SubmitAuditManager({ ManagerId: nobody.ManagerId! });
      assert.equal((await c.DescribeManagerDetail({ ManagerId: nobody.ManagerId! })).Status, 'audit');
      const other = sdkClient(t.port, await t.newAccount());
      await expectCode(other.DescribeManagerDetail({ ManagerId: ada.ManagerId! }), 'ResourceNotFound.Manager');
      await expectCode(other.DescribeManagers({ CompanyId: widgets.CompanyId! }), 'ResourceNotFound');
      assert.equal((await other.DescribeCompanies({})).TotalCount, 0);
    });

    test('the admin endpoint: bearer token required; list, show, letter, reject with a reason, approve', async () => {
      const admin = (p: string, init: RequestInit = {}, token = ADMIN) =>
        fetch(`http://127.0.0.1:${t.port}${p}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      assert.equal((await admin('/admin/orders', {}, 'wrong-token-0123456789')).status, 401);
      assert.equal((await fetch(`http://127.0.0.1:${t.port}/admin/orders`)).status, 401);
      const id = (await c.CreateCertificate({ ProductId: 46, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: `adm-${randomBytes(3).toString('hex')}.example.test`, ...ORG, AdminEmail: 'hopper@example.test' });
      await c.CommitCertificateInformation({ CertificateId: id });
      const letter = png();
      await c.UploadConfirmLetter({ CertificateId: id, ConfirmLetter: letter });
      const list = await (await admin('/admin/orders?status=0')).json() as { Orders: { CertificateId: string }[] };
      assert.ok(list.Orders.some((o) => o.CertificateId === id));
      const got = await admin(`/admin/orders/${id}/letter`);
      assert.equal(got.headers.get('content-type'), 'image/png');
      assert.equal(Buffer.from(await got.arrayBuffer()).toString('base64'), letter);
      assert.equal((await admin(`/admin/orders/${id}/reject`, { method: 'POST', body: '{}' })).status, 400);
      const rejected = await admin(`/admin/orders/${id}/reject`, { method: 'POST', body: JSON.stringify({ reason: 'Letter unsigned', reviewer: 'rita' }) });
      assert.equal(rejected.status, 200);
      const d = await c.DescribeCertificate({ CertificateId: id });
      assert.equal(d.Status, 2);
      assert.equal(d.StatusMsg, 'Letter unsigned');
      assert.equal((await admin(`/admin/orders/${id}/approve`, { method: 'POST', body: '{}' })).status, 409, 'a rejected order cannot be approved');
      assert.equal((await admin('/admin/orders/nOsUcH01')).status, 404);
    });

    test('products, domain counts and ownership are checked', async () => {
      await expectCode(c.CreateCertificate({ ProductId: 999, DomainNum: 1, TimeSpan: 1 }), 'FailedOperation.InvalidParam');
      await expectCode(c.CreateCertificate({ ProductId: 43, DomainNum: 3, TimeSpan: 1 }), 'FailedOperation.InvalidParam');
      const multi = (await c.CreateCertificate({ ProductId: 45, DomainNum: 2, TimeSpan: 1 })).CertificateIds![0]!;
      const tooMany = await expectCode(c.SubmitCertificateInformation({
        CertificateId: multi, CsrType: 'online', CertificateDomain: 'a.example.test', DomainList: ['b.example.test', 'c.example.test'], ...ORG,
      }), 'FailedOperation.InvalidParam');
      assert.match(tooMany, /2 domain/);
      await expectCode(c.SubmitCertificateInformation({ CertificateId: multi, CsrType: 'online', CertificateDomain: '*.example.test', ...ORG }), 'FailedOperation.InvalidParam');
      // An SM2 product issues an SM2 certificate from the SM2 CA; DV products need no organization.
      const sm2 = (await c.CreateCertificate({ ProductId: 54, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      await c.SubmitCertificateInformation({ CertificateId: sm2, CsrType: 'online', CertificateDomain: `gm-${randomBytes(3).toString('hex')}.example.test`, IsDV: true });
      assert.equal((await c.CommitCertificateInformation({ CertificateId: sm2 })).Status, 0);
      await orders('approve', sm2);
      await validateAndWait(sm2);
      const gm = await c.DescribeCertificateDetail({ CertificateId: sm2 });
      assert.equal(gm.EncryptAlgorithm, 'SM2');
      assert.match(await subjectText(sm2), /SM2-with-SM3|1\.2\.156\.10197\.1\.501/);
      assert.equal((await c.DescribeCertificates({ CertIds: [sm2], IsSM: 1 })).TotalCount, 1);
      const other = sdkClient(t.port, await t.newAccount());
      await expectCode(other.SubmitCertificateInformation({ CertificateId: multi, CsrType: 'online', CertificateDomain: 'a.example.test', ...ORG }), 'FailedOperation.CertificateNotFound');
      await expectCode(other.DescribeCertificate({ CertificateId: multi }), 'FailedOperation.CertificateNotFound');
    });
  });
}
