// The CSR APIs end to end through a client nobody here wrote, the SDK's CommonClient (the
// SDK's ssl client has no CSR actions), on SQLite and PostgreSQL; openssl checks every CSR
// and private key that comes back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CommonClient } from 'tencentcloud-sdk-nodejs/tencentcloud/common/common_client.js';
import { run, withTempDir } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, startTestService, type Cred, type TestService } from '../testing/harness.js';
import { sendV1, signV1 } from '../testing/raw-client.js';
import type * as M from './shared/csr-models.js';

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** The CSR actions through CommonClient: TC3-signed JSON POSTs, errors as exceptions carrying `.code`. */
class CsrClient {
  private readonly c: CommonClient;
  constructor(port: number, cred: Cred) {
    this.c = new CommonClient(`127.0.0.1:${port}`, '2019-12-05', {
      credential: { secretId: cred.secretId, secretKey: cred.secretKey },
      region: '',
      profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 60 } },
    });
  }
  private call<Res>(action: string, params: object): Promise<Res> {
    return this.c.request(action, params) as Promise<Res>;
  }
  CreateCSR = (p: M.CreateCSRRequest | Record<string, unknown>) => this.call<M.CreateCSRResponse>('CreateCSR', p);
  DescribeCSR = (p: M.DescribeCSRRequest | Record<string, unknown>) => this.call<M.DescribeCSRResponse>('DescribeCSR', p);
  DescribeCSRSet = (p: M.DescribeCSRSetRequest | Record<string, unknown> = {}) => this.call<M.DescribeCSRSetResponse>('DescribeCSRSet', p);
  ModifyCSR = (p: M.ModifyCSRRequest | Record<string, unknown>) => this.call<M.ModifyCSRResponse>('ModifyCSR', p);
  BatchDeleteCSR = (p: M.BatchDeleteCSRRequest | Record<string, unknown>) => this.call<M.BatchDeleteCSRResponse>('BatchDeleteCSR', p);
}

const BASE = {
  Domain: 'www.example.com',
  Organization: 'Tencent',
  Department: 'IT',
  Email: 'admin@example.com',
  Province: 'Hunan',
  City: 'Changsha',
  Country: 'CN',
  EncryptAlgo: 'RSA',
  KeyParameter: '2048',
} as const;

/** openssl req -verify -noout -text; OpenSSL 3.0 exits 0 even on a bad signature, so stderr is read too. */
function opensslReq(dir: string, csrPem: string): string {
  const file = path.join(dir, 'req.csr');
  writeFileSync(file, csrPem);
  const r = spawnSync('openssl', ['req', '-in', file, '-verify', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /self-signature verify OK/);
  assert.doesNotMatch(r.stderr, /failure/i);
  return r.stdout;
}

/** The CSR's public key and the private key's (decrypted with `password` when given), both via openssl. */
function publicKeys(dir: string, csrPem: string, keyPem: string, password?: string): { csr: string; key: string } {
  const csrFile = path.join(dir, 'pub.csr');
  const keyFile = path.join(dir, 'key.pem');
  writeFileSync(csrFile, csrPem);
  writeFileSync(keyFile, keyPem);
  return {
    csr: run('openssl', ['req', '-in', csrFile, '-noout', '-pubkey']),
    key: run('openssl', ['pkey', '-in', keyFile, '-pubout', '-passin', `pass:${password ?? ''}`]),
  };
}

for (const backend of BACKENDS) {
  describe(`CSR APIs on ${backend}`, () => {
    let t: TestService;
    let c: CsrClient;
    before(async () => {
      t = await startTestService(backend);
      c = new CsrClient(t.port, t.cred);
    });
    after(async () => {
      await t?.close();
    });

    /** A client for a new, empty account. */
    async function freshAccount(): Promise<{ cred: Cred; client: CsrClient }> {
      const cred = await t.newAccount();
      return { cred, client: new CsrClient(t.port, cred) };
    }

    test('a draft is created, modified, then generated; openssl accepts the CSR with the full subject and the SAN', async () => {
      const { Id } = await c.CreateCSR({ ...BASE, Generate: false, Remark: 'first draft', Tags: [{ TagKey: 'env', TagValue: 'prod' }] });
      assert.ok(Number.isSafeInteger(Id) && Id! > 0, `Id ${Id}`);

      const draft = await c.DescribeCSR({ CSRId: Id });
      const { RequestId, CreateTime, ...rest } = draft;
      assert.match(RequestId!, /^[0-9a-f-]{36}$/);
      assert.match(CreateTime!, TIME);
      assert.deepEqual(rest, {
        Id, OwnerUin: t.cred.accountUin, Domain: 'www.example.com', Organization: 'Tencent', Department: 'IT',
        Email: 'admin@example.com', Province: 'Hunan', City: 'Changsha', Country: 'CN', EncryptAlgo: 'RSA', KeyParameter: '2048',
        Remarks: 'first draft', Status: 0, KeyPassword: null, CSR: null, PrivateKey: null,
      });

      const modified = await c.ModifyCSR({ CSRId: Id, Generate: false, Domain: '*.Shop.Example.com', Organization: 'Example Ltd', Remark: '' });
      assert.equal(modified.Id, Id);
      const changed = await c.DescribeCSR({ CSRId: Id });
      assert.equal(changed.Domain, '*.shop.example.com', 'normalised: lower case');
      assert.equal(changed.Organization, 'Example Ltd');
      assert.equal(changed.Remarks, '');
      assert.equal(changed.City, 'Changsha', 'fields left out stay');
      assert.equal(changed.Status, 0);
      assert.equal(changed.CreateTime, CreateTime);

      assert.equal((await c.ModifyCSR({ CSRId: Id, Generate: true, City: '长沙', Country: 'cn' })).Id, Id);
      const done = await c.DescribeCSR({ CSRId: Id });
      assert.equal(done.Status, 1);
      assert.equal(done.City, '长沙');
      assert.equal(done.Country, 'CN');
      assert.equal(done.KeyPassword, null);
      assert.match(done.CSR!, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
      assert.match(done.PrivateKey!, /^-----BEGIN PRIVATE KEY-----\n/);
      await withTempDir(async (dir) => {
        const text = opensslReq(dir, done.CSR!);
        assert.match(text, /Subject: C=CN, ST=Hunan, L=长沙, O=Example Ltd, OU=IT, CN=\*\.shop\.example\.com, emailAddress=admin@example\.com\n/);
        assert.match(text, /X509v3 Subject Alternative Name:\s*\n\s*DNS:\*\.shop\.example\.com\n/);
        assert.match(text, /Public-Key: \(2048 bit\)/);
        assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
        const keys = publicKeys(dir, done.CSR!, done.PrivateKey!);
        assert.equal(keys.key, keys.csr, 'the private key belongs to the CSR');
      });

      // Generated: fixed for good, whatever is asked.
      for (const p of [{ Generate: false, Remark: 'late' }, { Generate: true }, { Generate: false }]) {
        const msg = await expectCode(c.ModifyCSR({ CSRId: Id, ...p }), 'FailedOperation');
        assert.match(msg, /can no longer be modified/);
      }
      const again = await c.DescribeCSR({ CSRId: Id });
      assert.equal(again.Remarks, '');
      assert.equal(again.CSR, done.CSR);
      assert.equal(again.PrivateKey, done.PrivateKey);
    });

    for (const [algo, param, shows] of [
      ['RSA', '2048', /Public-Key: \(2048 bit\)[\s\S]*Signature Algorithm: sha256WithRSAEncryption/],
      ['RSA', '4096', /Public-Key: \(4096 bit\)[\s\S]*Signature Algorithm: sha256WithRSAEncryption/],
      ['ECC', 'prime256v1', /Public-Key: \(256 bit\)[\s\S]*ASN1 OID: prime256v1[\s\S]*Signature Algorithm: ecdsa-with-SHA256/],
    ] as const) {
      test(`CreateCSR with Generate true: ${algo} ${param} key pair and a CSR openssl verifies`, async () => {
        const { Id } = await c.CreateCSR({ ...BASE, Domain: `${param}.example.com`, EncryptAlgo: algo.toLowerCase(), KeyParameter: param.toUpperCase(), Generate: true });
        const d = await c.DescribeCSR({ CSRId: Id });
        assert.equal(d.Status, 1);
        assert.equal(d.EncryptAlgo, algo);
        assert.equal(d.KeyParameter, param);
        await withTempDir(async (dir) => {
          const text = opensslReq(dir, d.CSR!);
          assert.match(text, shows);
          assert.match(text, new RegExp(`Subject: C=CN, ST=Hunan, L=Changsha, O=Tencent, OU=IT, CN=${param}\\.example\\.com, emailAddress=admin@example\\.com\\n`));
          assert.match(text, new RegExp(`DNS:${param}\\.example\\.com\\n`));
          const keys = publicKeys(dir, d.CSR!, d.PrivateKey!);
          assert.equal(keys.key, keys.csr);
        });
      });
    }

    test('KeyPassword: the key comes back as encrypted PKCS#8 that openssl opens with the password only', async () => {
      const password = 'S3cret pass!';
      const { Id } = await c.CreateCSR({ ...BASE, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: true, KeyPassword: password });
      const d = await c.DescribeCSR({ CSRId: Id });
      assert.equal(d.KeyPassword, password);
      assert.match(d.PrivateKey!, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      await withTempDir(async (dir) => {
        const keys = publicKeys(dir, d.CSR!, d.PrivateKey!, password);
        assert.equal(keys.key, keys.csr);
        const info = run('openssl', ['asn1parse', '-in', path.join(dir, 'key.pem')]);
        assert.match(info, /aes-256-cbc/);
        assert.throws(() => publicKeys(dir, d.CSR!, d.PrivateKey!, 'wrong'), /failed/);
      });

      // A draft's password can be changed, and '' removes it: the key is then plain PKCS#8.
      const draft = (await c.CreateCSR({ ...BASE, Generate: false, KeyPassword: 'first' })).Id;
      assert.equal((await c.DescribeCSR({ CSRId: draft })).KeyPassword, 'first');
      await c.ModifyCSR({ CSRId: draft, Generate: true, KeyPassword: '' });
      const plain = await c.DescribeCSR({ CSRId: draft });
      assert.equal(plain.KeyPassword, null);
      assert.match(plain.PrivateKey!, /^-----BEGIN PRIVATE KEY-----\n/);
      // A password set on the draft and not changed is used when it is generated.
      const kept = (await c.CreateCSR({ ...BASE, Generate: false, KeyPassword: 'kept-pw' })).Id;
      await c.ModifyCSR({ CSRId: kept, Generate: true, Organization: 'Changed' });
      const k = await c.DescribeCSR({ CSRId: kept });
      assert.equal(k.KeyPassword, 'kept-pw');
      await withTempDir(async (dir) => {
        const keys = publicKeys(dir, k.CSR!, k.PrivateKey!, 'kept-pw');
        assert.equal(keys.key, keys.csr);
      });
    });

    test('the private key is sealed at rest, bound to its record', async () => {
      const a = (await c.CreateCSR({ ...BASE, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: true })).Id!;
      const b = (await c.CreateCSR({ ...BASE, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: true })).Id!;
      const db = t.svc.core.stores.kysely;
      const row = await db.selectFrom('csrs').selectAll().where('id', '=', a).executeTakeFirstOrThrow();
      assert.match(row.private_key_sealed!, /^v1:/);
      assert.doesNotMatch(JSON.stringify(row), /PRIVATE KEY/);
      // Another record's sealed key does not open under this id (the AAD binds account and id).
      await db.updateTable('csrs').set({ private_key_sealed: row.private_key_sealed }).where('id', '=', b).execute();
      await expectCode(c.DescribeCSR({ CSRId: b }), 'FailedOperation.SystemError');
      await c.BatchDeleteCSR({ CSRIds: [b] });
    });

    test('RSA 4096 generation does not block the event loop', async () => {
      let last = Date.now();
      let worst = 0;
      const timer = setInterval(() => {
        const now = Date.now();
        worst = Math.max(worst, now - last);
        last = now;
      }, 5);
      try {
        const started = Date.now();
        await c.CreateCSR({ ...BASE, KeyParameter: '4096', Generate: true });
        const took = Date.now() - started;
        // The server runs in this process: a synchronous RSA-4096 key generation would stall it for the whole call.
        assert.ok(worst < Math.max(250, took / 2), `the event loop stalled for ${worst} ms during a ${took} ms call`);
      } finally {
        clearInterval(timer);
      }
    });

    test('CreateCSR refuses bad values with FailedOperation.InvalidParam and missing or unknown parameters with the common codes', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ Domain: 'exa mple.com' }, /Domain: domain "exa mple.com" contains " "/],
        [{ Domain: '*.*.example.com' }, /more than one wildcard/],
        [{ Domain: '192.0.2.1' }, /IP address/],
        [{ Domain: 'localhost' }, /at least two labels/],
        [{ Domain: '' }, /domain is empty/],
        [{ EncryptAlgo: 'DSA' }, /EncryptAlgo must be RSA or ECC, got "DSA"/],
        [{ EncryptAlgo: 'SM2', KeyParameter: 'sm2p256v1' }, /EncryptAlgo must be RSA or ECC/],
        [{ KeyParameter: '1024' }, /KeyParameter "1024" is not supported for RSA; use 2048 or 4096/],
        [{ KeyParameter: '3072' }, /not supported for RSA/],
        [{ EncryptAlgo: 'ECC', KeyParameter: '2048' }, /not supported for ECC; use prime256v1/],
        [{ EncryptAlgo: 'ECC', KeyParameter: 'secp384r1' }, /not supported for ECC/],
        [{ EncryptAlgo: 'RSA', KeyParameter: 'prime256v1' }, /not supported for RSA/],
        [{ Country: 'China' }, /Country must be an ISO 3166-1 alpha-2 code/],
        [{ Country: 'UK' }, /ISO 3166-1/],
        [{ Email: 'not-an-email' }, /is not an e-mail address/],
        [{ Email: 'ü@example.com' }, /is not an e-mail address/],
        [{ Organization: '  ' }, /Organization must not be empty/],
        [{ Department: '' }, /Department must not be empty/],
        [{ Organization: 'x'.repeat(65) }, /Organization must be at most 64 characters/],
        [{ Province: 'line\nbreak' }, /control character/],
        [{ Remark: 'r'.repeat(201) }, /Remark must be at most 200/],
        [{ KeyPassword: 'p'.repeat(129) }, /KeyPassword must be at most 128/],
        [{ Tags: [{ TagKey: '', TagValue: 'v' }] }, /TagKey/],
      ];
      for (const [change, message] of cases) {
        const msg = await expectCode(c.CreateCSR({ ...BASE, Generate: true, ...change }), 'FailedOperation.InvalidParam');
        assert.match(msg, message, JSON.stringify(change));
      }
      const { Generate: _g, ...noGenerate } = { ...BASE, Generate: true };
      await expectCode(c.CreateCSR(noGenerate), 'MissingParameter');
      const { Email: _e, ...noEmail } = { ...BASE, Generate: false };
      await expectCode(c.CreateCSR(noEmail), 'MissingParameter');
      await expectCode(c.CreateCSR({ ...BASE, Generate: false, Keyword: 'x' }), 'UnknownParameter');
      await expectCode(c.CreateCSR({ ...BASE, Generate: 'maybe' }), 'InvalidParameter');
      // Nothing was stored by any of them.
      const { client } = await freshAccount();
      for (const [change] of cases.slice(0, 3)) await expectCode(client.CreateCSR({ ...BASE, Generate: false, ...change }), 'FailedOperation.InvalidParam');
      assert.equal((await client.DescribeCSRSet()).Total, 0);
      // Long and IDN domains: a domain over 64 characters goes in the SAN only; IDNs as A-labels.
      const long = `${'a'.repeat(60)}.example.com`;
      const l = await client.DescribeCSR({ CSRId: (await client.CreateCSR({ ...BASE, Domain: long, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: true })).Id });
      await withTempDir(async (dir) => {
        const text = opensslReq(dir, l.CSR!);
        assert.match(text, /Subject: C=CN, ST=Hunan, L=Changsha, O=Tencent, OU=IT, emailAddress=admin@example\.com\n/);
        assert.match(text, new RegExp(`DNS:${long}\\n`));
      });
      const idn = await client.DescribeCSR({ CSRId: (await client.CreateCSR({ ...BASE, Domain: '例子.中国', Generate: false })).Id });
      assert.equal(idn.Domain, 'xn--fsqu00a.xn--fiqs8s');
    });

    test('ModifyCSR refuses bad values with InvalidParameter.WithDetailReason and leaves the draft as it was', async () => {
      const { Id } = await c.CreateCSR({ ...BASE, Generate: false });
      const before = await c.DescribeCSR({ CSRId: Id });
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ Domain: 'bad_domain.example.com' }, /contains "_"/],
        [{ Domain: '*.com' }, /wildcard directly on a top-level domain/],
        [{ EncryptAlgo: 'ECC' }, /KeyParameter "2048" is not supported for ECC/],
        [{ KeyParameter: '8192' }, /not supported for RSA/],
        [{ EncryptAlgo: 'ed25519' }, /EncryptAlgo must be RSA or ECC/],
        [{ Country: 'ZZ' }, /ISO 3166-1/],
        [{ Email: 'a@b' }, /not an e-mail address/],
        [{ City: '' }, /City must not be empty/],
      ];
      for (const [change, message] of cases) {
        const msg = await expectCode(c.ModifyCSR({ CSRId: Id, Generate: true, ...change }), 'InvalidParameter.WithDetailReason');
        assert.match(msg, message, JSON.stringify(change));
      }
      const { RequestId: _a, ...was } = before;
      const { RequestId: _b, ...is } = await c.DescribeCSR({ CSRId: Id });
      assert.deepEqual(is, was);
      // Switching algorithm needs both fields together.
      await c.ModifyCSR({ CSRId: Id, Generate: false, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1' });
      assert.equal((await c.DescribeCSR({ CSRId: Id })).EncryptAlgo, 'ECC');

      for (const bad of [0, -1, 1.5, 2 ** 31 + 5, 99]) {
        await expectCode(c.ModifyCSR({ CSRId: bad, Generate: false }), 'InvalidParameter.InvalidCSRId');
        await expectCode(c.DescribeCSR({ CSRId: bad }), 'InvalidParameter.InvalidCSRId');
      }
      await expectCode(c.ModifyCSR({ CSRId: Id }), 'MissingParameter');
      await expectCode(c.ModifyCSR({ CSRId: Id, Generate: false, Tags: [] }), 'UnknownParameter');
      await expectCode(c.DescribeCSR({}), 'MissingParameter');
      await expectCode(c.DescribeCSR({ CSRId: 'abc' }), 'InvalidParameter');
    });

    test('DescribeCSRSet pages newest first (Limit 10 by default, at most 100) and filters by domain and algorithm', async () => {
      const { cred, client } = await freshAccount();
      const created: number[] = [];
      for (let i = 0; i < 105; i++) {
        const shop = i % 3 === 0;
        const ecc = i % 5 === 0;
        const r = await client.CreateCSR({
          ...BASE, Domain: shop ? `shop${i}.example.com` : `www${i}.example.org`,
          ...(ecc ? { EncryptAlgo: 'ECC', KeyParameter: 'prime256v1' } : {}), Generate: false, Remark: `n${i}`,
        });
        created.push(r.Id!);
      }
      const first = await client.DescribeCSRSet();
      assert.equal(first.Total, 105);
      assert.equal(first.Set!.length, 10);
      assert.deepEqual(Object.keys(first.Set![0]!).sort(), [
        'City', 'Country', 'CreateTime', 'Department', 'Domain', 'Email', 'EncryptAlgo', 'Id', 'KeyParameter', 'Organization',
        'OwnerUin', 'Province', 'Remarks', 'Status',
      ]);
      const top = first.Set![0]!;
      assert.equal(top.OwnerUin, cred.accountUin);
      assert.equal(typeof top.Id, 'number');
      assert.equal(top.Status, 0);
      assert.match(top.CreateTime!, TIME);
      // Newest first: creation times never increase down the list.
      const times = first.Set!.map((s) => s.CreateTime!);
      assert.deepEqual([...times].sort().reverse(), times);
      assert.equal(first.Set![0]!.Remarks, 'n104');

      const capped = await client.DescribeCSRSet({ Limit: 1000 });
      assert.equal(capped.Set!.length, 100, 'Limit is capped at 100');
      assert.equal((await client.DescribeCSRSet({ Limit: 0 })).Set!.length, 10, 'Limit 0 means the default');
      const seen: number[] = [];
      for (let offset = 0; ; offset += 40) {
        const page = await client.DescribeCSRSet({ Offset: offset, Limit: 40 });
        assert.equal(page.Total, 105);
        if (page.Set!.length === 0) break;
        seen.push(...page.Set!.map((s) => s.Id!));
      }
      assert.equal(seen.length, 105);
      assert.deepEqual([...seen].sort(), [...created].sort(), 'paging covers every record once');
      assert.deepEqual((await client.DescribeCSRSet({ Offset: 105 })).Set, []);

      const shops = await client.DescribeCSRSet({ Domain: 'SHOP', Limit: 100 });
      assert.equal(shops.Total, 35);
      assert.ok(shops.Set!.every((s) => s.Domain!.startsWith('shop')));
      const ecc = await client.DescribeCSRSet({ EncryptAlgo: 'ecc', Limit: 100 });
      assert.equal(ecc.Total, 21);
      assert.ok(ecc.Set!.every((s) => s.EncryptAlgo === 'ECC' && s.KeyParameter === 'prime256v1'));
      const both = await client.DescribeCSRSet({ Domain: 'shop', EncryptAlgo: 'ECC', Limit: 100 });
      assert.equal(both.Total, 7); // i divisible by 15
      assert.equal((await client.DescribeCSRSet({ Domain: 'shop1', Limit: 100 })).Total, 4, 'a substring: shop12, shop15, shop18, shop102');
      assert.equal((await client.DescribeCSRSet({ Domain: 'example.org' })).Total, 70);
      assert.equal((await client.DescribeCSRSet({ Domain: '%' })).Total, 0, 'LIKE wildcards are literal');
      assert.equal((await client.DescribeCSRSet({ Domain: '_' })).Total, 0);
      assert.equal((await client.DescribeCSRSet({ Domain: '', EncryptAlgo: '' })).Total, 105, 'empty filters are no filters');

      await expectCode(client.DescribeCSRSet({ EncryptAlgo: 'DSA' }), 'InvalidParameterValue');
      await expectCode(client.DescribeCSRSet({ Offset: -1 }), 'InvalidParameterValue');
      await expectCode(client.DescribeCSRSet({ Limit: -5 }), 'InvalidParameterValue');
      await expectCode(client.DescribeCSRSet({ Limit: 2.5 }), 'InvalidParameterValue');
      await expectCode(client.DescribeCSRSet({ Status: 1 }), 'UnknownParameter');
    });

    test('BatchDeleteCSR: at most 100 ids, unknown ids left out, none known is InvalidParameter.InvalidCSRId', async () => {
      const { client } = await freshAccount();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await client.CreateCSR({ ...BASE, Generate: i === 0 })).Id!);
      const [a, b, keep, d] = ids as [number, number, number, number];

      const tooMany = Array.from({ length: 101 }, (_, i) => i + 1);
      assert.match(await expectCode(client.BatchDeleteCSR({ CSRIds: tooMany }), 'InvalidParameterValue'), /at most 100/);
      await expectCode(client.BatchDeleteCSR({ CSRIds: [] }), 'InvalidParameterValue');
      await expectCode(client.BatchDeleteCSR({}), 'MissingParameter');
      await expectCode(client.BatchDeleteCSR({ CSRIds: [a, 0] }), 'InvalidParameter.InvalidCSRId');
      await expectCode(client.BatchDeleteCSR({ CSRIds: [a, -3] }), 'InvalidParameter.InvalidCSRId');
      await expectCode(client.BatchDeleteCSR({ CSRIds: [12345, 67890, 2 ** 40] }), 'InvalidParameter.InvalidCSRId');
      assert.equal((await client.DescribeCSRSet()).Total, 4, 'refused requests delete nothing');

      // The spec's example: 11, 22, 33 in; 22 and 33 deleted. Duplicates count once; order as given.
      const r = await client.BatchDeleteCSR({ CSRIds: [b, 12345, a, 2 ** 40, b] });
      assert.deepEqual(r.Success, [b, a]);
      await expectCode(client.DescribeCSR({ CSRId: a }), 'InvalidParameter.InvalidCSRId');
      await expectCode(client.ModifyCSR({ CSRId: b, Generate: false }), 'InvalidParameter.InvalidCSRId');
      await expectCode(client.BatchDeleteCSR({ CSRIds: [a, b] }), 'InvalidParameter.InvalidCSRId');
      const left = await client.DescribeCSRSet();
      assert.equal(left.Total, 2);
      assert.deepEqual(left.Set!.map((s) => s.Id).sort(), [keep, d].sort());

      // Exactly 100 ids is allowed.
      const hundred = [d, ...Array.from({ length: 99 }, (_, i) => 1_000_000 + i)];
      assert.deepEqual((await client.BatchDeleteCSR({ CSRIds: hundred })).Success, [d]);
    });

    test('v1-signed flattened parameters (Python, Go, tccli): Generate=True, Tags.0.TagKey, CSRIds.N', async () => {
      const { cred, client } = await freshAccount();
      const send = async (action: string, params: Record<string, string>, method: 'GET' | 'POST') =>
        (await sendV1(t.port, signV1(t.port, cred, { action, params, method }), method)).json.Response;
      const created = await send('CreateCSR', {
        ...BASE, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: 'True', 'Tags.0.TagKey': 'team', 'Tags.0.TagValue': 'web',
      }, 'POST');
      assert.equal(typeof created.Id, 'number', JSON.stringify(created));
      const draft = await send('CreateCSR', { ...BASE, Generate: 'False' }, 'GET');
      assert.equal((await client.DescribeCSR({ CSRId: created.Id })).Status, 1);
      assert.equal((await client.DescribeCSR({ CSRId: draft.Id })).Status, 0);
      const got = await send('DescribeCSR', { CSRId: String(created.Id) }, 'GET');
      assert.match(got.CSR, /BEGIN CERTIFICATE REQUEST/);
      const deleted = await send('BatchDeleteCSR', { 'CSRIds.0': String(draft.Id), 'CSRIds.1': String(created.Id) }, 'GET');
      assert.deepEqual(deleted.Success, [draft.Id, created.Id]);
      const err = await send('BatchDeleteCSR', { 'CSRIds.0': String(draft.Id) }, 'POST');
      assert.equal(err.Error.Code, 'InvalidParameter.InvalidCSRId');
    });

    test('another account can neither see, change nor delete a CSR', async () => {
      const { Id } = await c.CreateCSR({ ...BASE, EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: true });
      const draft = (await c.CreateCSR({ ...BASE, Generate: false })).Id!;
      const { client: other } = await freshAccount();
      await expectCode(other.DescribeCSR({ CSRId: Id }), 'InvalidParameter.InvalidCSRId');
      await expectCode(other.ModifyCSR({ CSRId: draft, Generate: true, Domain: 'evil.example.com' }), 'InvalidParameter.InvalidCSRId');
      await expectCode(other.ModifyCSR({ CSRId: Id, Generate: false }), 'InvalidParameter.InvalidCSRId');
      assert.equal((await other.DescribeCSRSet({ Limit: 100 })).Total, 0);
      await expectCode(other.BatchDeleteCSR({ CSRIds: [Id, draft] }), 'InvalidParameter.InvalidCSRId');
      // With one of its own in the list, only its own goes.
      const mine = (await other.CreateCSR({ ...BASE, Generate: false })).Id!;
      assert.deepEqual((await other.BatchDeleteCSR({ CSRIds: [Id, mine, draft] })).Success, [mine]);
      // The owner still has both, unchanged.
      const d = await c.DescribeCSR({ CSRId: Id });
      assert.equal(d.Status, 1);
      assert.match(d.PrivateKey!, /PRIVATE KEY/);
      const dd = await c.DescribeCSR({ CSRId: draft });
      assert.equal(dd.Domain, 'www.example.com');
      assert.equal(dd.Status, 0);
    });
  });
}
