// The certificate store actions end to end, through the official SDK, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeChain, run, withTempDir, type TestChain } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, sdkClient, startTestService, type SslClient, type TestService } from '../testing/harness.js';

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** A self-signed certificate made by openssl (for validity windows and SM2). */
function selfSigned(dir: string, name: string, opts: { days?: number; sm2?: boolean; cn?: string } = {}) {
  const key = path.join(dir, name + '.key');
  const crt = path.join(dir, name + '.crt');
  const cn = opts.cn ?? `${name}.example.com`;
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${opts.sm2 ? 'SM2' : 'P-256'}`, '-out', key]);
  run('openssl', ['req', '-x509', '-new', '-key', key, opts.sm2 ? '-sm3' : '-sha256', '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=DNS:${cn}`, '-days', String(opts.days ?? 30), '-out', crt]);
  return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

let rsa: TestChain;
let ec: TestChain;
before(async () => {
  [rsa, ec] = await Promise.all([makeChain('RSA', 'rsa.example.com'), makeChain('EC', 'ec.example.com')]);
});

for (const backend of BACKENDS) {
  describe(`certificate store (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    before(async () => {
      t = await startTestService(backend);
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('UploadCertificate: RSA with chain in any order, CRLF and extra whitespace; every field reads back', async () => {
      const messy = `\r\n  ${rsa.intermediatePem.replace(/\n/g, '\r\n')}\n\n${rsa.leafPem}  \n`;
      const up = await c.UploadCertificate({ CertificatePublicKey: messy, CertificatePrivateKey: rsa.keyPem, Alias: 'shop rsa', ProjectId: 0, Tags: [{ TagKey: 'env', TagValue: 'prod' }] });
      assert.match(up.CertificateId!, /^[0-9A-Za-z]{8}$/);
      assert.equal(up.RepeatCertId, '');
      const d = await c.DescribeCertificateDetail({ CertificateId: up.CertificateId! });
      assert.equal(d.CertificatePublicKey, messy, 'returned byte for byte');
      assert.equal(d.CertificatePrivateKey, rsa.keyPem);
      assert.equal(d.Domain, 'rsa.example.com');
      assert.deepEqual(d.SubjectAltName, ['rsa.example.com']);
      assert.equal(d.Alias, 'shop rsa');
      assert.equal(d.Status, 1);
      assert.equal(d.CertificateType, 'SVR');
      assert.equal(d.EncryptAlgorithm, 'RSA 2048');
      assert.equal(d.ProductZhName, 'certport test intermediate RSA');
      assert.equal(d.OwnerUin, t.cred.accountUin);
      assert.equal(d.ProjectId, '0');
      assert.equal(typeof d.ValidityPeriod, 'string');
      assert.match(d.CertBeginTime!, TIME);
      assert.match(d.CertEndTime!, TIME);
      assert.match(d.InsertTime!, TIME);
      assert.match(d.CertFingerprint!, /^[0-9a-f]{40}$/);
      assert.deepEqual(d.Tags, [{ TagKey: 'env', TagValue: 'prod' }]);
      assert.equal(d.Deployable, true);
      assert.equal(d.From, 'upload');
      const one = await c.DescribeCertificate({ CertificateId: up.CertificateId! });
      assert.equal(one.Domain, 'rsa.example.com');
      assert.equal((one as Record<string, unknown>).CertificatePrivateKey, undefined);
      const list = await c.DescribeCertificates({ CertIds: [up.CertificateId!] });
      const item = list.Certificates![0]!;
      for (const k of ['Alias', 'CertificateType', 'ProjectId', 'ProductZhName', 'Domain', 'Status', 'CertBeginTime', 'CertEndTime', 'InsertTime', 'OwnerUin', 'ValidityPeriod'] as const) {
        assert.notEqual(item[k], null, k);
        assert.notEqual(item[k], undefined, k);
      }
      assert.deepEqual(item.BoundResource, []);
      assert.deepEqual(item.CertSANs, ['rsa.example.com']);
      assert.equal(item.ProjectInfo!.OwnerUin, Number(t.cred.accountUin));
      assert.equal(item.ProjectInfo!.ProjectId, '0');
      assert.equal(item.ProjectInfo!.ProjectName, 'Default Project');
      assert.equal(item.IsExpiring, false);
      assert.equal(item.HasRenewOrder, '');
    });

    test('UploadCertificate: EC (SEC1 key), PKCS#1 RSA key, encrypted keys, mismatches, garbage', async () => {
      const sec1 = run('openssl', ['pkey', '-traditional'], ec.keyPem);
      const up = await c.UploadCertificate({ CertificatePublicKey: ec.leafPem + ec.intermediatePem, CertificatePrivateKey: sec1 });
      const d = await c.DescribeCertificateDetail({ CertificateId: up.CertificateId! });
      assert.equal(d.EncryptAlgorithm, 'ECC 256');
      assert.equal(d.CertificatePrivateKey, sec1);
      const pkcs1 = run('openssl', ['pkey', '-traditional'], rsa.keyPem);
      assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
      await c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: pkcs1 });
      const encrypted = run('openssl', ['pkcs8', '-topk8', '-v2', 'aes256', '-passout', 'pass:s3cret'], rsa.keyPem);
      const msg = await expectCode(c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: encrypted }), 'FailedOperation.CertificateParseError');
      assert.match(msg, /encrypted/);
      await expectCode(c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: encrypted, KeyPassword: 'wrong' }), 'FailedOperation.CertificateParseError');
      const withPw = await c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: encrypted, KeyPassword: 's3cret' });
      assert.match((await c.DescribeCertificateDetail({ CertificateId: withPw.CertificateId! })).CertificatePrivateKey!, /BEGIN PRIVATE KEY/);
      await expectCode(c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: ec.keyPem }), 'FailedOperation.CertificateMismatch');
      await expectCode(c.UploadCertificate({ CertificatePublicKey: 'not a certificate', CertificatePrivateKey: rsa.keyPem }), 'FailedOperation.CertificateParseError');
      await expectCode(c.UploadCertificate({ CertificatePublicKey: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', CertificatePrivateKey: rsa.keyPem }), 'FailedOperation.CertificateParseError');
      await expectCode(c.UploadCertificate({ CertificatePublicKey: rsa.leafPem }), 'MissingParameter');
      await expectCode(c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: rsa.keyPem, CertificateType: 'XYZ' }), 'InvalidParameterValue');
    });

    test('UploadCertificate: CA certificates, SM2, expired; Repeatable', async () => {
      await expectCode(c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificateType: 'CA' }), 'FailedOperation.CertificateCaError');
      const ca = await c.UploadCertificate({ CertificatePublicKey: rsa.intermediatePem + rsa.rootPem, CertificateType: 'CA', Alias: 'client ca' });
      const cadetail = await c.DescribeCertificateDetail({ CertificateId: ca.CertificateId! });
      assert.equal(cadetail.CertificatePrivateKey, null);
      const cad = await c.DescribeCertificate({ CertificateId: ca.CertificateId! });
      assert.equal(cad.CertificateType, 'CA');
      assert.equal(cad.Deployable, false);
      assert.deepEqual(cad.CACommonNames, ['certport test intermediate RSA', 'certport test root RSA']);
      assert.equal(cad.CAEndTimes!.length, 2);
      await withTempDir(async (dir) => {
        const sm2 = selfSigned(dir, 'sm2', { sm2: true });
        const up = await c.UploadCertificate({ CertificatePublicKey: sm2.cert, CertificatePrivateKey: sm2.key });
        const list = await c.DescribeCertificates({ CertIds: [up.CertificateId!] });
        assert.equal(list.Certificates![0]!.IsSM, true);
        assert.equal(list.Certificates![0]!.EncryptAlgorithm, 'SM2');
        const onlySm = await c.DescribeCertificates({ IsSM: 1 });
        assert.deepEqual(onlySm.Certificates!.map((x) => x.CertificateId), [up.CertificateId]);
      });
      const first = await c.UploadCertificate({ CertificatePublicKey: ec.leafPem, CertificatePrivateKey: ec.keyPem, Repeatable: false });
      const again = await c.UploadCertificate({ CertificatePublicKey: ec.leafPem, CertificatePrivateKey: ec.keyPem, Repeatable: false });
      assert.equal(again.CertificateId, first.CertificateId === again.CertificateId ? first.CertificateId : again.RepeatCertId);
      assert.equal(again.RepeatCertId, again.CertificateId);
      const dup = await c.UploadCertificate({ CertificatePublicKey: ec.leafPem, CertificatePrivateKey: ec.keyPem });
      assert.notEqual(dup.CertificateId, again.CertificateId);
      assert.equal(dup.RepeatCertId, '');
    });

    test('DescribeCertificates: filters, paging, order', async () => {
      const acct = sdkClient(t.port, await t.newAccount());
      const ids: string[] = [];
      await withTempDir(async (dir) => {
        for (const [i, days] of [[0, 10], [1, 60], [2, 200]] as const) {
          const s = selfSigned(dir, `f${i}`, { days, cn: `f${i}.filter.test` });
          const up = await acct.UploadCertificate({ CertificatePublicKey: s.cert, CertificatePrivateKey: s.key, Alias: `alias-${i}`, ProjectId: i, Tags: [{ TagKey: 'team', TagValue: i === 2 ? 'b' : 'a' }] });
          ids.push(up.CertificateId!);
          await new Promise((r) => setTimeout(r, 5));
        }
      });
      await acct.UploadCertificate({ CertificatePublicKey: rsa.intermediatePem, CertificateType: 'CA' });
      const all = await acct.DescribeCertificates({});
      assert.equal(all.TotalCount, 4);
      assert.deepEqual(all.Certificates!.slice(1).map((x) => x.CertificateId), [...ids].reverse(), 'newest first');
      const page = await acct.DescribeCertificates({ Offset: 1, Limit: 2 });
      assert.equal(page.TotalCount, 4);
      assert.equal(page.Certificates!.length, 2);
      assert.equal((await acct.DescribeCertificates({ Limit: 5000 })).Certificates!.length, 4);
      const ids_ = async (q: Parameters<SslClient['DescribeCertificates']>[0]) => (await acct.DescribeCertificates(q)).Certificates!.map((x) => x.CertificateId).sort();
      assert.deepEqual(await ids_({ SearchKey: 'alias-1' }), [ids[1]]);
      assert.deepEqual(await ids_({ SearchKey: 'F2.FILTER' }), [ids[2]]);
      assert.deepEqual(await ids_({ SearchKey: ids[0]!.slice(0, 6) }), [ids[0]]);
      assert.deepEqual(await ids_({ SearchKey: '%' }), []);
      assert.deepEqual(await ids_({ CertificateType: 'SVR' }), [...ids].sort());
      assert.equal((await ids_({ CertificateType: 'CA' })).length, 1);
      assert.deepEqual(await ids_({ ProjectId: 1 }), [ids[1]]);
      assert.deepEqual(await ids_({ FilterExpiring: 1 }), [ids[0]]);
      assert.deepEqual(await ids_({ Deployable: 1 }), [...ids].sort());
      assert.deepEqual(await ids_({ Tags: [{ TagKey: 'team', TagValue: 'a' }] }), [ids[0], ids[1]].sort());
      // One tag alone is read from the tag's index in creation order: newest first, counted, paged.
      const tagged = await acct.DescribeCertificates({ Tags: [{ TagKey: 'team', TagValue: 'a' }], Limit: 1 });
      assert.deepEqual([tagged.TotalCount, tagged.Certificates!.map((x) => x.CertificateId)], [2, [ids[1]]]);
      const next = await acct.DescribeCertificates({ Tags: [{ TagKey: 'team', TagValue: 'a' }], Offset: 1, Limit: 1 });
      assert.deepEqual([next.TotalCount, next.Certificates!.map((x) => x.CertificateId)], [2, [ids[0]]]);
      const past = await acct.DescribeCertificates({ Tags: [{ TagKey: 'team', TagValue: 'a' }], Offset: 2 });
      assert.deepEqual([past.TotalCount, past.Certificates!.length], [2, 0]);
      assert.deepEqual((await acct.DescribeCertificates({ Tags: [{ TagKey: 'team', TagValue: 'a' }], ExpirationSort: 'DESC' })).Certificates!.map((x) => x.CertificateId), [ids[1], ids[0]]);
      assert.deepEqual(await ids_({ CertIds: [ids[2]!, 'unknown1'] }), [ids[2]]);
      assert.deepEqual(await ids_({ FilterSource: 'buy' }), []);
      assert.equal((await ids_({ FilterSource: 'upload' })).length, 4);
      assert.equal((await ids_({ CertificateStatus: [1] })).length, 4);
      assert.deepEqual(await ids_({ CertificateStatus: [0, 4] }), []);
      assert.deepEqual(await ids_({ IsPendingIssue: 1 }), []);
      const asc = await acct.DescribeCertificates({ ExpirationSort: 'ASC', CertificateType: 'SVR' });
      assert.deepEqual(asc.Certificates!.map((x) => x.CertificateId), ids);
      const desc = await acct.DescribeCertificates({ ExpirationSort: 'DESC', CertificateType: 'SVR' });
      assert.deepEqual(desc.Certificates!.map((x) => x.CertificateId), [...ids].reverse());
      const expiring = (await acct.DescribeCertificates({ CertIds: [ids[0]!] })).Certificates![0]!;
      assert.equal(expiring.IsExpiring, true);
      assert.equal(expiring.ProjectInfo!.ProjectId, '0');
      await expectCode(acct.DescribeCertificates({ ExpirationSort: 'UP' }), 'InvalidParameterValue');
      await expectCode(acct.DescribeCertificates({ Deployable: 3 }), 'InvalidParameterValue');
    });

    test('ModifyCertificateAlias, ModifyCertificateProject, DeleteCertificate, operation logs', async () => {
      const cred = await t.newAccount();
      const acct = sdkClient(t.port, cred);
      const sub = await t.svc.core.services.accounts.createSubUser(cred.accountUin, 'ops');
      const subKey = await t.svc.core.services.accounts.createKey(cred.accountUin, sub.uin);
      const subClient = sdkClient(t.port, subKey);
      const a = (await acct.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: rsa.keyPem })).CertificateId!;
      const b = (await subClient.UploadCertificate({ CertificatePublicKey: ec.leafPem, CertificatePrivateKey: ec.keyPem })).CertificateId!;
      assert.equal((await acct.ModifyCertificateAlias({ CertificateId: a, Alias: 'renamed' })).CertificateId, a);
      assert.equal((await acct.DescribeCertificate({ CertificateId: a })).Alias, 'renamed');
      await expectCode(acct.ModifyCertificateAlias({ CertificateId: 'missing1', Alias: 'x' }), 'FailedOperation.CertificateNotFound');
      const moved = await acct.ModifyCertificateProject({ CertificateIdList: [a, b, 'missing1'], ProjectId: 7 });
      assert.deepEqual([...moved.SuccessCertificates!].sort(), [a, b].sort());
      assert.deepEqual(moved.FailCertificates, ['missing1']);
      assert.equal((await acct.DescribeCertificate({ CertificateId: b })).ProjectId, '7');
      await expectCode(acct.ModifyCertificateProject({ CertificateIdList: Array.from({ length: 101 }, (_, i) => 'id' + i), ProjectId: 1 }), 'InvalidParameterValue');
      await expectCode(acct.ModifyCertificateProject({ CertificateIdList: [a], ProjectId: -1 }), 'InvalidParameterValue');
      assert.equal((await acct.DeleteCertificate({ CertificateId: b })).DeleteResult, true);
      await expectCode(acct.DescribeCertificate({ CertificateId: b }), 'FailedOperation.CertificateNotFound');
      await expectCode(acct.DescribeCertificateDetail({ CertificateId: b }), 'FailedOperation.CertificateNotFound');
      await expectCode(acct.DeleteCertificate({ CertificateId: b }), 'FailedOperation.CertificateNotFound');
      const logs = await acct.DescribeCertificateOperateLogs({});
      assert.equal(logs.AllTotal, 6);
      assert.equal(logs.TotalCount, 6);
      const types = logs.OperateLogs!.map((l) => l.Type).sort();
      assert.deepEqual(types, ['changeProject', 'changeProject', 'delete', 'updateAlias', 'upload', 'upload']);
      const subUpload = logs.OperateLogs!.find((l) => l.Type === 'upload' && l.CertId === b)!;
      assert.equal(subUpload.SubAccountUin, sub.uin);
      assert.equal(subUpload.Uin, cred.accountUin);
      assert.equal(subUpload.Action, `User [uin: ${sub.uin}] uploads certificate [id: ${b}]`);
      assert.match(subUpload.CreatedOn!, TIME);
      const paged = await acct.DescribeCertificateOperateLogs({ Offset: 4, Limit: 10 });
      assert.equal(paged.AllTotal, 6);
      assert.equal(paged.OperateLogs!.length, 2);
      const past = await acct.DescribeCertificateOperateLogs({ StartTime: '2020-01-01 00:00:00', EndTime: '2020-01-02 00:00:00' });
      assert.equal(past.AllTotal, 0);
      await expectCode(acct.DescribeCertificateOperateLogs({ StartTime: 'yesterday' }), 'InvalidParameterValue');
    });

    test('tenant isolation: another account sees, changes and deletes nothing', async () => {
      const mine = (await c.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: rsa.keyPem, Alias: 'mine' })).CertificateId!;
      const other = sdkClient(t.port, await t.newAccount());
      assert.equal((await other.DescribeCertificates({})).TotalCount, 0);
      assert.equal((await other.DescribeCertificates({ CertIds: [mine] })).TotalCount, 0);
      await expectCode(other.DescribeCertificate({ CertificateId: mine }), 'FailedOperation.CertificateNotFound');
      await expectCode(other.DescribeCertificateDetail({ CertificateId: mine }), 'FailedOperation.CertificateNotFound');
      await expectCode(other.ModifyCertificateAlias({ CertificateId: mine, Alias: 'stolen' }), 'FailedOperation.CertificateNotFound');
      await expectCode(other.DeleteCertificate({ CertificateId: mine }), 'FailedOperation.CertificateNotFound');
      const moved = await other.ModifyCertificateProject({ CertificateIdList: [mine], ProjectId: 3 });
      assert.deepEqual(moved.FailCertificates, [mine]);
      assert.equal((await other.DescribeCertificateOperateLogs({})).AllTotal, 0);
      const d = await c.DescribeCertificate({ CertificateId: mine });
      assert.equal(d.Alias, 'mine');
      assert.equal(d.ProjectId, '0');
    });

    test('a restart keeps everything; no private key or SecretKey is stored in clear', async () => {
      const id = (await c.UploadCertificate({ CertificatePublicKey: ec.leafPem, CertificatePrivateKey: ec.keyPem, Alias: 'persist' })).CertificateId!;
      const before = await c.DescribeCertificates({ Limit: 1000 });
      await t.restart();
      // A fresh client: the old one's keep-alive sockets died with the old server.
      c = sdkClient(t.port, t.cred);
      const after_ = await c.DescribeCertificates({ Limit: 1000 });
      assert.deepEqual(after_.Certificates!.map((x) => x.CertificateId), before.Certificates!.map((x) => x.CertificateId));
      assert.equal((await c.DescribeCertificateDetail({ CertificateId: id })).CertificatePrivateKey, ec.keyPem);
      // Scan every file in the data dir and every row in the database for key material.
      const needles = [ec.keyPem, rsa.keyPem].map((k) => k.split('\n')[2]!).concat([t.cred.secretKey]);
      for (const file of walk(t.dataDir)) {
        const bytes = readFileSync(file).toString('latin1');
        for (const n of needles) assert.ok(!bytes.includes(n), `${file} holds key material in clear`);
      }
      const db = t.svc.core.stores.kysely;
      const tables = t.backend === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db)).rows.map((r) => r.name);
      assert.ok(tables.includes('certificates'));
      for (const table of tables) {
        const rows = (await sql`select * from ${sql.table(table)}`.execute(db)).rows;
        const text = JSON.stringify(rows);
        for (const n of needles) assert.ok(!text.includes(n), `table ${table} holds key material in clear`);
      }
      if (t.backend === 'sqlite') {
        // The WAL and the main file at the byte level, after a checkpoint too.
        const out = execFileSync('sh', ['-c', `cat ${t.dataDir}/*.db* | strings`], { maxBuffer: 64 * 1024 * 1024 }).toString();
        for (const n of needles) assert.ok(!out.includes(n));
      }
    });
  });
}
