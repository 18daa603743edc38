// Packages end to end: the operator grants units with the real `certport packages` CLI (a child
// process on the same database), the customer lists them (DescribePackages) and spends them
// (CreateCertificateByPackage) through the official SDK, on SQLite and PostgreSQL; the balance
// never goes below 0 when orders race for the last units; a renewal through a package follows
// OldCertificateId and the Renew* parameters (a real DNS server validates the names).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../testing/dv.js';
import { BACKENDS, expectCode, sdkClient, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';
import { runCli } from '../testing/cli.js';
import path from 'node:path';
import { run, withTempDir } from '../testing/pki-fixtures.js';

/** DNSPod DV (C1): no organization, no letter; 1013955 DNSPod OV (C1). */
const DV_PID = 1013949;
const OV_PID = 1013955;

/** A CSR (openssl) for `cn`. */
const csrFor = (cn: string) => withTempDir(async (dir) => run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
  '-keyout', path.join(dir, 'k.pem'), '-subj', `/CN=${cn}`]));

let dns: ChallTestSrv;
before(async () => { dns = await startChallTestSrv(); });
after(async () => { await dns?.stop(); });

for (const backend of BACKENDS) {
  describe(`packages (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    const cli = async (...args: string[]) => {
      const r = await runCli(t.env, 'packages', ...args);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const grant = async (...args: string[]) => JSON.parse(await cli('grant', '--account', t.cred.accountUin, '--json', ...args)) as { PackageId: string };
    const balance = async (id: string) => (await c.DescribePackages({ PackageId: id })).Packages![0]!;

    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '500' } });
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('grant (CLI) → DescribePackages with every PackageInfo field, filters, order, paging and TotalBalance', async () => {
      const a = await grant('--type', 'ssl_100', '--expires', '2099-12-31');
      const b = await grant('--type', 'ssl_500', '--expires', '2098-06-30', '--count', '7', '--product', `${OV_PID},${DV_PID}`);
      const gone = await grant('--type', 'ssl_2000', '--expires', '2097-01-01');
      assert.match(await cli('revoke', gone.PackageId), /refund/);

      const all = await c.DescribePackages({});
      assert.equal(all.TotalCount, 3);
      assert.equal(all.TotalBalance, 107, 'usable packages only');
      const pa = all.Packages!.find((p) => p.PackageId === a.PackageId)!;
      assert.deepEqual({ ...pa, CreateTime: undefined, UpdateTime: undefined }, {
        PackageId: a.PackageId, Total: 100, Balance: 100, Type: 'ssl_100', SourceUin: null, Status: 'usable',
        ExpireTime: '2099-12-31 23:59:59', CreateTime: undefined, UpdateTime: undefined, SourceType: 'grant', TransferOutInfos: [],
      });
      assert.match(pa.CreateTime!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      const pb = all.Packages!.find((p) => p.PackageId === b.PackageId)!;
      assert.equal(pb.Total, 7);
      assert.equal(all.Packages!.find((p) => p.PackageId === gone.PackageId)!.Status, 'refund');
      assert.equal(all.Packages!.find((p) => p.PackageId === gone.PackageId)!.Balance, 0);

      assert.deepEqual((await c.DescribePackages({ Status: 'refund' })).Packages!.map((p) => p.PackageId), [gone.PackageId]);
      assert.deepEqual((await c.DescribePackages({ Type: 'ssl_500' })).Packages!.map((p) => p.PackageId), [b.PackageId]);
      assert.equal((await c.DescribePackages({ Type: 'ssl_500' })).TotalBalance, 7);
      // Pid: packages that may pay for that product (b is limited to two; a and the withdrawn one take any).
      assert.deepEqual((await c.DescribePackages({ Pid: 1013890 })).Packages!.map((p) => p.PackageId).sort(), [a.PackageId, gone.PackageId].sort());
      assert.equal((await c.DescribePackages({ Pid: OV_PID })).TotalCount, 3);
      assert.deepEqual((await c.DescribePackages({ ExpireTime: 'asc' })).Packages!.map((p) => p.PackageId), [gone.PackageId, b.PackageId, a.PackageId]);
      assert.deepEqual((await c.DescribePackages({ ExpireTime: 'desc', Offset: 1, Limit: 1 })).Packages!.map((p) => p.PackageId), [b.PackageId]);
      assert.equal((await c.DescribePackages({ ExpireTime: 'desc', Offset: 1, Limit: 1 })).TotalCount, 3);

      await expectCode(c.DescribePackages({ Status: 'spent' }), 'InvalidParameterValue');
      await expectCode(c.DescribePackages({ ExpireTime: 'up' }), 'InvalidParameterValue');
      await expectCode(c.DescribePackages({ Offset: -1 }), 'InvalidParameterValue');
      // Another account sees none of them.
      const other = sdkClient(t.port, await t.newAccount());
      assert.deepEqual(await other.DescribePackages({}).then((r) => [r.TotalCount, r.TotalBalance, r.Packages]), [0, 0, []]);

      // The CLI refuses what it cannot grant.
      for (const bad of [['--type', 'ssl_7', '--expires', '2099-01-01'], ['--type', 'ssl_100', '--expires', '2001-01-01'],
        ['--type', 'ssl_100', '--expires', '2099-01-01', '--product', '1022447']]) {
        const r = await runCli(t.env, 'packages', 'grant', '--account', t.cred.accountUin, ...bad);
        assert.equal(r.code, 1, bad.join(' '));
      }
      assert.equal((await runCli(t.env, 'packages', 'grant', '--account', '999999999999', '--type', 'ssl_100', '--expires', '2099-01-01')).code, 1);
    });

    test('CreateCertificateByPackage: paid orders like CreateCertificate, one unit per certificate-year, from the packages in the order given', async () => {
      const small = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '1');
      const big = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '10');
      const r = await c.CreateCertificateByPackage({ ProductPid: OV_PID, PackageIds: [small.PackageId, big.PackageId], DomainCount: '1', Period: 2,
        CertificateCount: 2, ProjectId: 0, Tags: [{ TagKey: 'team', TagValue: 'web' }] });
      assert.equal(r.CertificateIds!.length, 2);
      assert.equal(r.CertificateId, r.CertificateIds![0]);
      for (const id of r.CertificateIds!) {
        const d = await c.DescribeCertificate({ CertificateId: id });
        assert.equal(d.Status, 5);
        assert.equal(d.PackageType, '43');
        assert.match(d.ProductZhName!, /DNSPod OV/);
        assert.equal(d.ValidityPeriod, '24');
        assert.deepEqual(d.Tags, [{ TagKey: 'team', TagValue: 'web' }]);
        const logs = await c.DescribeCertificateOperateLogs({ StartTime: '2000-01-01 00:00:00', EndTime: '2100-01-01 00:00:00' });
        assert.ok(logs.OperateLogs!.some((l) => l.Action!.includes(small.PackageId) && l.Action!.includes(id)), 'the log names the packages');
      }
      // 2 certificates × 2 years = 4 units: 1 from the first package, 3 from the second.
      assert.equal((await balance(small.PackageId)).Balance, 0);
      assert.equal((await balance(small.PackageId)).Status, 'used');
      assert.equal((await balance(big.PackageId)).Balance, 7);
      // The order is an ordinary paid order: submitted as any other.
      await c.SubmitCertificateInformation({ CertificateId: r.CertificateId!, CsrType: 'online', CertificateDomain: `p-${randomBytes(3).toString('hex')}.example.test`, IsDV: true });
      assert.equal((await c.CommitCertificateInformation({ CertificateId: r.CertificateId! })).Status, 0);
    });

    test('CreateCertificateByPackage refuses with the spec\'s codes, spending nothing', async () => {
      const ok = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '2');
      const onlyDv = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--product', String(DV_PID));
      const withdrawn = await grant('--type', 'ssl_100', '--expires', '2099-01-01');
      await cli('revoke', withdrawn.PackageId);
      // An expired package: seeded as the operator's grant made long ago.
      const expired = 'pkg-expired' + randomBytes(4).toString('hex');
      await t.svc.core.stores.packages.insertPackage({ id: expired, accountUin: t.cred.accountUin, type: 'ssl_100', total: 100, balance: 100, products: [],
        grantedBy: 'test', createdAt: Date.now() - 86_400_000 * 400, updatedAt: Date.now() - 86_400_000 * 400, expiresAt: Date.now() - 1000, revokedAt: null });
      const otherCred = await t.newAccount();
      const other = sdkClient(t.port, otherCred);
      const base = { ProductPid: OV_PID, DomainCount: '1', Period: 1 };

      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [] }), 'InvalidParameter.PackageIdsInvalid');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [ok.PackageId, ok.PackageId] }), 'InvalidParameter.PackageIdsInvalid');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: ['pkg-nosuch'] }), 'FailedOperation.PackageNotFound');
      await expectCode(other.CreateCertificateByPackage({ ...base, PackageIds: [ok.PackageId] }), 'FailedOperation.PackageNotFound');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [withdrawn.PackageId] }), 'FailedOperation.PackageNotFound');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [expired] }), 'FailedOperation.PackageExpired');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [onlyDv.PackageId] }), 'InvalidParameter.PackageIdsInvalid');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [ok.PackageId], Period: 3 }), 'FailedOperation.PackageCountLimit');
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [ok.PackageId], CertificateCount: 3 }), 'FailedOperation.PackageCountLimit');
      await expectCode(c.CreateCertificateByPackage({ ...base, ProductPid: 1022447, PackageIds: [ok.PackageId] }), 'FailedOperation.InvalidParam');
      await expectCode(c.CreateCertificateByPackage({ ...base, DomainCount: 'two', PackageIds: [ok.PackageId] }), 'FailedOperation.InvalidParam');
      await expectCode(c.CreateCertificateByPackage({ ...base, DomainCount: '2', PackageIds: [ok.PackageId] }), 'FailedOperation.InvalidParam');
      await expectCode(c.CreateCertificateByPackage({ ...base, OldCertificateId: 'nosuch00', PackageIds: [ok.PackageId] }), 'FailedOperation.CertificateNotFound');
      assert.equal((await balance(ok.PackageId)).Balance, 2, 'nothing was spent');
      // The other account's grant is its own.
      const theirs = JSON.parse((await runCli(t.env, 'packages', 'grant', '--account', otherCred.accountUin, '--type', 'ssl_100', '--expires', '2099-01-01', '--json')).stdout);
      await expectCode(c.CreateCertificateByPackage({ ...base, PackageIds: [theirs.PackageId] }), 'FailedOperation.PackageNotFound');
      assert.ok((await other.CreateCertificateByPackage({ ...base, PackageIds: [theirs.PackageId] })).CertificateId);
    });

    test('orders racing for the last units: exactly as many succeed as there are units, the balance ends at 0', async () => {
      const last = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '1');
      const two = await Promise.allSettled([0, 1].map(() => c.CreateCertificateByPackage({ ProductPid: DV_PID, PackageIds: [last.PackageId], DomainCount: '1', Period: 1 })));
      assert.equal(two.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(two));
      const lost = two.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      assert.equal((lost.reason as { code: string }).code, 'FailedOperation.PackageCountLimit');
      assert.deepEqual(await balance(last.PackageId).then((p) => [p.Balance, p.Status]), [0, 'used']);

      const three = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '3');
      const many = await Promise.allSettled(Array.from({ length: 8 }, () =>
        c.CreateCertificateByPackage({ ProductPid: DV_PID, PackageIds: [three.PackageId], DomainCount: '1', Period: 1 })));
      assert.equal(many.filter((r) => r.status === 'fulfilled').length, 3);
      assert.equal((await balance(three.PackageId)).Balance, 0);

      // The store alone (no check before it): one conditional UPDATE per package never takes more than is there.
      const store = t.svc.core.stores.packages;
      const five = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '5');
      const paid = t.svc.core.services.paid;
      const caller = { accountUin: t.cred.accountUin, userUin: t.cred.accountUin };
      const results = await Promise.all(Array.from({ length: 12 }, async () =>
        store.spendPackages(t.cred.accountUin, [five.PackageId], 2, Date.now(), await paid.prepare(caller, { productId: 48, domainNum: 1, timeSpan: 2 }, 1), null)));
      assert.equal(results.filter((r) => r === 'ok').length, 2);
      assert.equal(results.filter((r) => r === 'insufficient').length, 10);
      assert.equal((await balance(five.PackageId)).Balance, 1);
    });

    test('renewal through a package: OldCertificateId, RenewGenCsrMethod original keeps the key; refusals spend nothing', async () => {
      const pkg = await grant('--type', 'ssl_100', '--expires', '2099-01-01', '--count', '10');
      const domain = `renew-${randomBytes(3).toString('hex')}.example.test`;
      const issue = async (id: string) => {
        await t.svc.core.services.paid.approve('rita', id);
        const d = await waitFor(c, id, (x) => x.DvAuthDetail !== null && x.DvAuthDetail !== undefined);
        for (const a of d.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
        await waitFor(c, id, (x) => x.Status === 1);
      };
      const first = (await c.CreateCertificateByPackage({ ProductPid: DV_PID, PackageIds: [pkg.PackageId], DomainCount: '1', Period: 1 })).CertificateId!;
      await c.SubmitCertificateInformation({ CertificateId: first, CsrType: 'online', CertificateDomain: domain, VerifyType: 'DNS' });
      await c.CommitCertificateInformation({ CertificateId: first });
      await issue(first);
      assert.equal((await balance(pkg.PackageId)).Balance, 9);

      const renew = { ProductPid: DV_PID, PackageIds: [pkg.PackageId], DomainCount: '1', Period: 1, OldCertificateId: first };
      await expectCode(c.CreateCertificateByPackage({ ...renew, RenewGenCsrMethod: 'online', RenewAlgorithmType: 'DSA' }), 'InvalidParameter.RenewAlgorithmInvalid');
      await expectCode(c.CreateCertificateByPackage({ ...renew, RenewGenCsrMethod: 'online', RenewAlgorithmType: 'RSA', RenewAlgorithmParam: '1024' }), 'InvalidParameter.RenewAlgorithmInvalid');
      await expectCode(c.CreateCertificateByPackage({ ...renew, RenewGenCsrMethod: 'carrier-pigeon' }), 'FailedOperation.InvalidParam');
      await expectCode(c.CreateCertificateByPackage({ ...renew, ProductPid: OV_PID }), 'FailedOperation.InvalidParam');
      await expectCode(c.CreateCertificateByPackage({ ...renew, CertificateCount: 2 }), 'FailedOperation.InvalidParam');
      // A CSR for another name is refused after the order was made: it is cancelled and the unit given back.
      const csrPem = await csrFor(`other-${domain}`);
      await expectCode(c.CreateCertificateByPackage({ ...renew, RenewGenCsrMethod: 'upload', RenewCsr: csrPem }), 'FailedOperation.InvalidParam');
      assert.equal((await balance(pkg.PackageId)).Balance, 9, 'the refused renewals spent nothing');
      const uploaded = await c.DescribeCertificates({ Limit: 1000 });
      const cancelled = uploaded.Certificates!.filter((x) => x.Status === 7 && x.PackageType === '48');
      assert.ok(cancelled.length >= 1, 'the renewal that could not be submitted is cancelled');
      // That cancelled order still holds the renewal link, as hosting's renewals do; clear it for the real one.
      await t.svc.core.stores.certificates.releaseRenewal(first, cancelled[0]!.CertificateId!, Date.now());

      const r = await c.CreateCertificateByPackage({ ...renew, RenewGenCsrMethod: 'original' });
      const second = r.CertificateId!;
      assert.equal((await balance(pkg.PackageId)).Balance, 8);
      let d = await c.DescribeCertificate({ CertificateId: second });
      assert.equal(d.Status, 0, 'submitted with the old certificate\'s information and committed for review');
      assert.equal(d.CertificateExtra!.OriginCertificateId, first);
      assert.equal((await c.DescribeCertificate({ CertificateId: first })).CertificateExtra!.RenewOrder, second);
      assert.deepEqual((await c.DescribeCertificateDetail({ CertificateId: second })).SubmittedData!.DomainList, [domain]);
      await expectCode(c.CreateCertificateByPackage({ ...renew, RenewGenCsrMethod: 'original' }), 'FailedOperation.InvalidCertificateStatusCode');
      await issue(second);
      d = await c.DescribeCertificate({ CertificateId: second });
      assert.equal(d.Domain, domain);
      const keyOf = async (id: string) => (await c.DescribeCertificateDetail({ CertificateId: id })).CertificatePrivateKey;
      assert.equal(await keyOf(second), await keyOf(first), 'original: the same key');
    });
  });
}
