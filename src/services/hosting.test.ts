// Hosting end to end: a hosted DNS_AUTO certificate renews on a real BIND 9 and replaces itself
// on a real nginx when the clock reaches its renewal window, with no API call after setup;
// a renewal whose validation fails sends one failure notice (to a webhook receiver that
// checks the signature) and tries again; settings through /admin/hosting and the CLI shapes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { servedFingerprint, startNginx, waitServed, type Nginx } from '../testing/nginx.js';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { runCli } from '../testing/cli.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';
import { waitFor } from '../testing/dv.js';
import { freePort } from '../testing/net.js';
import { startBind, startChallTestSrv, type Bind, type ChallTestSrv } from '../testing/dns-servers.js';
import { nextInWindow } from './hosting.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ADMIN = 'admin-' + randomBytes(12).toString('hex');
const HOOK_SECRET = randomBytes(16).toString('hex');

const cli = runCli;

const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();

async function admin(t: TestService, method: string, url: string, body?: unknown) {
  const r = await fetch(`http://127.0.0.1:${t.port}${url}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('nextInWindow: inside, before, after and wrapping midnight (UTC)', () => {
  const day = Date.UTC(2026, 10, 23);
  const at = (h: number, m = 0) => day + h * HOUR + m * 60_000;
  assert.equal(nextInWindow(at(3), '02:00', '06:00'), at(3));
  assert.equal(nextInWindow(at(1), '02:00', '06:00'), at(2));
  assert.equal(nextInWindow(at(7), '02:00', '06:00'), at(2) + DAY);
  assert.equal(nextInWindow(at(23, 30), '22:00', '04:00'), at(23, 30));
  assert.equal(nextInWindow(at(3), '22:00', '04:00'), at(3));
  assert.equal(nextInWindow(at(12), '22:00', '04:00'), at(22));
  assert.equal(nextInWindow(at(12), null, null), at(12));
});

for (const backend of BACKENDS) {
  describe(`hosting: renewal and replacement with the clock moved forward (${backend})`, () => {
    let bind: Bind;
    let t: TestService;
    let nginx: Nginx;
    let hook: Receiver;
    let dir: string;
    let port: number;
    let offset = 0;
    const clock = () => Date.now() + offset;
    const zone = 'hosted.test';
    const name = `www.${zone}`;
    const tsig = { name: 'certport-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32).toString('base64') };

    before(async () => {
      bind = await startBind({ [zone]: 'www IN A 127.0.0.1' }, { tsig });
      hook = await startReceiver(HOOK_SECRET);
      t = await startTestService(backend, {
        clock,
        env: {
          CERTPORT_DNS_RESOLVERS: bind.dns,
          CERTPORT_VALIDATION_INTERVAL_MS: '500',
          CERTPORT_DNS_PROVIDERS: JSON.stringify([{ zone, type: 'rfc2136', server: bind.dns, tsig }]),
          CERTPORT_ADMIN_TOKEN: ADMIN,
        },
        deployment: { retryDelay: () => 100 },
      });
      const notify = await admin(t, 'PUT', `/admin/notify/${t.cred.accountUin}`, { webhookUrl: hook.url, webhookSecret: HOOK_SECRET });
      assert.equal(notify.status, 200, JSON.stringify(notify.body));
      dir = await mkdtemp(path.join(tmpdir(), 'certport-hosting-'));
      mkdirSync(path.join(dir, 'certs'));
      port = await freePort();
    });
    after(async () => {
      await nginx?.stop();
      await t?.close();
      await hook?.stop();
      await bind?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('a hosted DNS_AUTO certificate renews and nginx serves the renewal, with no API call after setup', async () => {
      const c = t.client;
      // Setup: issue, serve it from nginx, register nginx as a resource, host the certificate.
      const { CertificateId: oldId } = await c.ApplyCertificate({ DvAuthMethod: 'DNS_AUTO', DomainName: name });
      await waitFor(c, oldId!, (x) => x.Status === 1);
      const old = await c.DescribeCertificateDetail({ CertificateId: oldId! });
      const certFile = path.join(dir, 'certs', 'site.pem');
      const keyFile = path.join(dir, 'certs', 'site.key');
      writeFileSync(certFile, old.CertificatePublicKey!);
      writeFileSync(keyFile, old.CertificatePrivateKey!, { mode: 0o600 });
      nginx = await startNginx([{ name, port, certFile, keyFile }], path.join(dir, 'nginx'));
      const oldLeaf = fp(old.CertificatePublicKey!);
      assert.equal(await servedFingerprint(port, name), oldLeaf);
      const res = await admin(t, 'POST', '/admin/resources', {
        accountUin: t.cred.accountUin, name: 'web-1', type: 'clb', region: 'ap-test', domains: [name], probe: `127.0.0.1:${port}`, sni: name,
        deployer: 'local', certId: oldId, config: { files: [{ path: certFile, format: 'fullchain' }, { path: keyFile, format: 'key' }], reload: nginx.reloadArgv, timeoutMs: 10_000 },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));

      const bad = await admin(t, 'PUT', `/admin/hosting/${oldId}`, { ResourceTypes: ['nginx'] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error, /resource type/);
      const badTime = await admin(t, 'PUT', `/admin/hosting/${oldId}`, { ResourceTypes: ['clb'], HostingConfig: { ReplaceStartTime: '25:00', ReplaceEndTime: '03:00' } });
      assert.equal(badTime.status, 400);
      assert.equal((await admin(t, 'PUT', '/admin/hosting/NoSuch01', { ResourceTypes: ['clb'] })).status, 404);
      const on = await admin(t, 'PUT', `/admin/hosting/${oldId}`, { ResourceTypes: ['clb'], HostingConfig: { MessageTypes: [1, 2, 3] } });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.equal(on.body.HostingStatus, 0);

      const listed = (await c.DescribeCertificates({ CertIds: [oldId!] })).Certificates![0]!;
      assert.equal(listed.HostingStatus, 0);
      assert.equal(listed.AutoRenewFlag, 1);
      assert.deepEqual(listed.HostingResourceTypes, ['clb']);
      assert.deepEqual(listed.HostingConfig?.MessageTypes, [1, 2, 3]);
      const notAfter = new Date(listed.CertEndTime!.replace(' ', 'T') + 'Z').getTime();

      // Nothing happens before the renewal window (30 days before expiry for a 90-day certificate).
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await servedFingerprint(port, name), oldLeaf);
      assert.equal((await admin(t, 'GET', `/admin/hosting/${oldId}`)).body.HostingRenewCertId, null);

      // The clock reaches the window: renewal, validation by DNS_AUTO on BIND, issuance,
      // replacement on nginx; this test only watches what nginx serves.
      offset = notAfter - 29 * DAY - Date.now();
      const h = await until('the renewal to be ordered', async () => (await admin(t, 'GET', `/admin/hosting/${oldId}`)).body.HostingRenewCertId as string | null);
      const served = await until('nginx to serve another leaf', async () => {
        const f = await servedFingerprint(port, name).catch(() => oldLeaf);
        return f !== oldLeaf ? f : null;
      }, 90_000);

      // Afterwards, through the SDK: the renewal is what nginx serves, linked to the original.
      const renewal = await c.DescribeCertificateDetail({ CertificateId: h });
      assert.equal(renewal.Status, 1);
      assert.equal(fp(renewal.CertificatePublicKey!), served);
      const done = await until('hosting to complete', async () => {
        const x = (await c.DescribeCertificates({ CertIds: [oldId!] })).Certificates![0]!;
        return x.HostingStatus === 10 ? x : null;
      });
      assert.equal(done.HostingRenewCertId, h);
      assert.match(done.HostingCompleteTime!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.equal(done.AutoRenewFlag, 0);
      assert.equal((await c.DescribeCertificateDetail({ CertificateId: h })).HostingStatus, 0, 'the renewal is hosted in turn');
      assert.equal(done.HasRenewOrder, h);
      const recs = await c.DescribeHostUpdateRecord({ OldCertificateId: oldId!, Limit: 10 });
      assert.equal(recs.DeployRecordList!.length, 1, 'one normal deploy record');
      assert.equal(recs.DeployRecordList![0]!.CertId, h);
      assert.equal(recs.DeployRecordList![0]!.Status, 1);
      const renewed = new X509Certificate(renewal.CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
      assert.ok(new Date(renewed.validTo).getTime() > notAfter + 50 * DAY, 'the renewal lasts well past the original');

      // Notices for MessageTypes 1 (started) and 3 (replaced), not 0 (reminder), once each.
      await until('the replaced notice', async () => hook.got.some((g) => g.body.kind === 'deploy-succeeded'));
      // No expiry notice: a healthy hosted certificate is taken care of (hosting tells the owner).
      const kinds = hook.got.filter((g) => g.body.certId === oldId).map((g) => g.body.kind).sort();
      assert.deepEqual(kinds, ['deploy-succeeded', 'hosting-started']);
    });

    test('a renewal whose validation fails sends one failure notice and tries again', async () => {
      const c = t.client;
      const failName = `fail-${randomBytes(3).toString('hex')}.example.test`;
      // DNS validation on a pebble-challtestsrv the test controls: the record is there for the
      // first issuance and gone when the renewal validates.
      const dns: ChallTestSrv = await startChallTestSrv();
      const t2 = await startTestService(backend, {
        clock,
        env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '500', CERTPORT_ADMIN_TOKEN: ADMIN, CERTPORT_DV_AUTH_HOURS: '24' },
      });
      try {
        assert.equal((await admin(t2, 'PUT', `/admin/notify/${t2.cred.accountUin}`, { webhookUrl: hook.url, webhookSecret: HOOK_SECRET })).status, 200);
        const { CertificateId: id } = await t2.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: failName });
        const a = (await t2.client.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
        await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
        await waitFor(t2.client, id!, (x) => x.Status === 1);
        await dns.clearTxt(a.DvAuthKey!);
        assert.equal((await admin(t2, 'PUT', `/admin/hosting/${id}`, { ResourceTypes: ['clb'] })).status, 200);
        const x = (await t2.client.DescribeCertificates({ CertIds: [id!] })).Certificates![0]!;
        const notAfter = new Date(x.CertEndTime!.replace(' ', 'T') + 'Z').getTime();

        offset = notAfter - 29 * DAY - Date.now();
        const first = await until('the renewal order', async () => (await admin(t2, 'GET', `/admin/hosting/${id}`)).body.HostingRenewCertId as string | null);
        const order = (await t2.client.DescribeCertificate({ CertificateId: first })).DvAuthDetail!;
        assert.equal(order.DvAuthKey, a.DvAuthKey, 'the renewal asks for the record already published');
        assert.equal(order.DvAuthValue, a.DvAuthValue);
        // Checks fail; after a while the owner is told what to publish.
        offset += 20 * 60_000;
        await until('the validation-needed notice', async () => hook.got.some((g) => g.body.certId === id && g.body.kind === 'validation-needed'));
        // The order's deadline passes: it fails, one notice, and a new order follows the backoff.
        offset += 25 * HOUR;
        await waitFor(t2.client, first, (d) => d.Status === 2);
        await until('the failure notice', async () => hook.got.some((g) => g.body.certId === id && g.body.kind === 'renewal-failed'));
        const failedView = (await admin(t2, 'GET', `/admin/hosting/${id}`)).body;
        assert.equal(failedView.HostingRenewCertId, null);
        assert.equal(failedView.Failures, 1);
        assert.ok(failedView.LastError, 'the failure is kept for operators');
        offset += 2 * HOUR;
        const second = await until('a second renewal order', async () => {
          const v = (await admin(t2, 'GET', `/admin/hosting/${id}`)).body.HostingRenewCertId as string | null;
          return v && v !== first ? v : null;
        });
        assert.notEqual(second, first);
        assert.equal((await t2.client.DescribeCertificates({ CertIds: [id!] })).Certificates![0]!.HasRenewOrder, second);
        await new Promise((r) => setTimeout(r, 1500));
        const failures = hook.got.filter((g) => g.body.certId === id && g.body.kind === 'renewal-failed');
        assert.equal(failures.length, 1, 'one failure notice');
        assert.match(failures[0]!.body.text, new RegExp(first));
        assert.equal(hook.got.filter((g) => g.body.certId === id && g.body.kind === 'validation-needed').length, 1);
        // The CLI shows the same, refuses bad settings by name, and turns hosting off.
        const shown = await cli(t2.env, 'hosting', 'show', id!, '--json');
        assert.equal(shown.code, 0, shown.stderr);
        assert.equal(JSON.parse(shown.stdout).HostingRenewCertId, second);
        const refused = await cli(t2.env, 'hosting', 'set', id!, '--types', 'clb', '--messages', '7');
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /MessageTypes/);
        const off = await cli(t2.env, 'hosting', 'off', id!);
        assert.equal(off.code, 0, off.stderr);
        assert.equal((await admin(t2, 'DELETE', `/admin/hosting/${id}`)).status, 404);
        assert.equal((await t2.client.DescribeCertificates({ CertIds: [id!] })).Certificates![0]!.HostingStatus, -1);
      } finally {
        offset = 0;
        await t2.close();
        await dns.stop();
      }
    });
  });
}

for (const backend of BACKENDS) {
  describe(`hosting waits for the renewal window of a 90-day certificate (${backend})`, () => {
    let dns: ChallTestSrv;
    let t: TestService;
    before(async () => {
      dns = await startChallTestSrv();
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '500', CERTPORT_ADMIN_TOKEN: ADMIN } });
    });
    after(async () => {
      await t?.close();
      await dns?.stop();
    });

    test('a third of a 90-day-minus-one-second lifetime (a fractional millisecond) is stored as NextCheck', async () => {
      const c = t.client;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `third-${randomBytes(3).toString('hex')}.example.test` });
      const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      const leaf = new X509Certificate((await c.DescribeCertificateDetail({ CertificateId: id! })).CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
      const [from, to] = [new Date(leaf.validFrom).getTime(), new Date(leaf.validTo).getTime()];
      assert.notEqual((to - from) % 3, 0, 'a lifetime whose third is not whole milliseconds');
      assert.equal((await admin(t, 'PUT', `/admin/hosting/${id}`, { ResourceTypes: ['clb'] })).status, 200);
      // Renewal starts a third of the lifetime before expiry (sooner than 30 days), on a whole millisecond.
      const expected = new Date(to - Math.ceil((to - from) / 3)).toISOString();
      const view = await until('NextCheck at the renewal window', async () => {
        const v = (await admin(t, 'GET', `/admin/hosting/${id}`)).body;
        return v.NextCheck === expected ? v : null;
      }, 10_000);
      assert.equal(view.Failures, 0);
      assert.equal(view.LastError, null);
      assert.equal(view.HostingRenewCertId, null);
    });
  });
}

const ORG = {
  OrganizationName: 'Hosted Widgets Ltd', OrganizationDivision: 'IT', OrganizationAddress: '1 Example Road', OrganizationCountry: 'CN',
  OrganizationCity: 'Shenzhen', OrganizationRegion: 'Guangdong', PostalCode: '518000', PhoneAreaCode: '0755', PhoneNumber: '86013388',
  AdminFirstName: 'Ada', AdminLastName: 'Lovelace', AdminPhoneNum: '13800000000', AdminEmail: 'ada@example.test', AdminPosition: 'CTO',
  ContactFirstName: 'Alan', ContactLastName: 'Turing', ContactEmail: 'alan@example.test', ContactNumber: '13900000000', ContactPosition: 'Ops',
};

describe(`hosting a paid OV certificate (${BACKENDS[0]})`, () => {
  let dns: ChallTestSrv;
  let t: TestService;
  let offset = 0;
  const clock = () => Date.now() + offset;
  before(async () => {
    dns = await startChallTestSrv();
    t = await startTestService(BACKENDS[0]!, { clock, env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '500', CERTPORT_ADMIN_TOKEN: ADMIN } });
  });
  after(async () => {
    await t?.close();
    await dns?.stop();
  });

  const publishAndWait = async (id: string) => {
    const d = await waitFor(t.client, id, (x) => !!x.DvAuthDetail?.DvAuths?.length);
    for (const a of d.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
    return waitFor(t.client, id, (x) => x.Status === 1);
  };

  test('renews with the organization verified at the first approval, without a reviewer', async () => {
    const c = t.client;
    const domain = `ov-${randomBytes(3).toString('hex')}.example.test`;
    const id = (await c.CreateCertificate({ ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
    await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: domain, ...ORG });
    assert.equal((await c.CommitCertificateInformation({ CertificateId: id })).Status, 0);
    assert.equal((await admin(t, 'POST', `/admin/orders/${id}/approve`, { reviewer: 'alice' })).status, 200);
    await publishAndWait(id);
    assert.equal((await admin(t, 'PUT', `/admin/hosting/${id}`, { ResourceTypes: ['clb'] })).status, 200);
    const x = (await c.DescribeCertificates({ CertIds: [id] })).Certificates![0]!;
    const notAfter = new Date(x.CertEndTime!.replace(' ', 'T') + 'Z').getTime();

    offset = notAfter - 20 * DAY - Date.now();
    const renewId = await until('the paid renewal order', async () => (await admin(t, 'GET', `/admin/hosting/${id}`)).body.HostingRenewCertId as string | null);
    const renewal = await publishAndWait(renewId);
    assert.equal(renewal.ProductZhName, x.ProductZhName);
    const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === renewId);
    assert.ok(logs.some((l) => l.Type === 'approve' && /auto/.test(l.Action ?? '')), 'approved without a reviewer: ' + JSON.stringify(logs));
    const detail = await c.DescribeCertificateDetail({ CertificateId: renewId });
    const leaf = new X509Certificate(detail.CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
    assert.match(leaf.subject, /O=Hosted Widgets Ltd/);
    assert.match(leaf.subjectAltName ?? '', new RegExp(domain.replace(/\./g, '\\.')));
    // No resource is bound: replacement is an empty record, and hosting completes.
    const done = await until('hosting to complete', async () => {
      const v = (await c.DescribeCertificates({ CertIds: [id] })).Certificates![0]!;
      return v.HostingStatus === 10 ? v : null;
    });
    assert.equal(done.HostingRenewCertId, renewId);
    assert.equal(done.HasRenewOrder, renewId);
  });

  test('uploaded certificates cannot be hosted; the reason says what they get instead', async () => {
    offset = 0;
    const { makeChain } = await import('../testing/pki-fixtures.js');
    const chain = await makeChain('EC', 'up.example.test');
    const { CertificateId: id } = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    const r = await admin(t, 'PUT', `/admin/hosting/${id}`, { ResourceTypes: ['clb'] });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /uploaded.*expiry notices/);
  });
});
