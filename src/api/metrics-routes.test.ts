// GET /metrics end to end: certificates uploaded, issued (FILE validation against a real HTTP
// server and a real DNS server), failed (deadline passed) and pending through the official
// SDK, a deployment with one resource succeeding and one failing, API calls over TC3, v1 and
// the legacy API; then one scrape, parsed by the Prometheus project's text-format parser, must
// show exactly that. Also the token, CERTPORT_METRICS=0, the configuration errors, and the safe
// default: without a token /metrics is open on a loopback listener only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { ConfigError, isLoopbackHost, loadConfig } from '../config/config.js';
import { Metrics } from '../services/metrics.js';
import { metricsRoutes } from './metrics-routes.js';
import { waitRecord } from '../testing/sdk.js';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { type FileServer, startFileServer, validationEnv, waitFor } from '../testing/dv.js';
import { BACKENDS, expectCode, sdkClient, startTestService, type Cred, type SslClient, type TestService } from '../testing/harness.js';
import { parsePrometheusText, samples, value, type Family } from '../testing/prometheus.js';
import { rawRequest, sendV1, signV1 } from '../testing/raw-client.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NAME = 'www.metrics.test';
/** DescribeCertificates' `YYYY-MM-DD HH:mm:ss` (UTC) as epoch ms. */
const utc = (s: string) => Date.parse(s.replace(' ', 'T') + 'Z');

let dns: ChallTestSrv;
let web: FileServer;
let chains: TestChain[];
before(async () => {
  [dns, web, ...chains] = await Promise.all([startChallTestSrv(), startFileServer(),
    makeChain('EC', NAME), makeChain('RSA', NAME), makeChain('EC', 'other.metrics.test')]);
});
after(async () => {
  await Promise.all([dns?.stop(), web?.stop()]);
});

async function scrape(port: number, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', auth: res.headers.get('www-authenticate'), text: await res.text() };
}

for (const backend of BACKENDS) {
  describe(`/metrics (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    let other: Cred;
    let idle: Cred;
    let dir: string;
    let offset = 0;
    const clock = () => Date.now() + offset;
    const uniq = () => randomBytes(3).toString('hex');
    let f: Family[];
    let scrapedAt: number;
    let contentType: string;
    let oldId: string;
    let uploads = 0;

    before(async () => {
      t = await startTestService(backend, {
        clock,
        env: {
          ...validationEnv(dns.dns, web),
        },
        deployment: { retryDelay: () => 50, maxAttempts: 1 },
      });
      c = t.client;
      dir = await mkdtemp(path.join(tmpdir(), 'certport-metrics-'));

      // Uploads: two certificates of one name in the first account, one in a second account.
      const [oldChain, newChain, otherChain] = chains;
      const upload = async (client: SslClient, ch: TestChain) => {
        uploads++;
        return (await client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      };
      oldId = await upload(c, oldChain!);
      const newId = await upload(c, newChain!);
      other = await t.newAccount();
      await upload(sdkClient(t.port, other), otherChain!);
      idle = await t.newAccount();

      // Issued: FILE validation passes.
      const domain = `ok-${uniq()}.metrics.test`;
      const { CertificateId: issued } = await c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: domain });
      const a = (await c.DescribeCertificate({ CertificateId: issued! })).DvAuthDetail!;
      web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue! + '\n');
      await waitFor(c, issued!, (x) => x.Status === 1);

      // Failed: nothing published, and the deadline passes.
      const { CertificateId: late } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `late-${uniq()}.metrics.test` });
      offset += 73 * HOUR;
      await c.CheckCertificateDomainVerification({ CertificateId: late! }).catch(() => {});
      await waitFor(c, late!, (x) => x.Status === 2);

      // Pending: placed after the clock moved, so it waits.
      await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `wait-${uniq()}.metrics.test` });

      // A deployment to two resources: one takes the files, the other's reload command fails.
      const files = (name: string) => [{ path: path.join(dir, `${name}.pem`), format: 'fullchain' }, { path: path.join(dir, `${name}.key`), format: 'key' }];
      for (const [name, reload] of [['good', undefined], ['bad', ['false']]] as const) {
        await t.svc.core.services.resources.addResource({
          accountUin: t.cred.accountUin, name, type: 'clb', region: 'ap-test', domains: [NAME], deployer: 'local', certId: oldId,
          config: { files: files(name), ...(reload ? { reload } : {}), timeoutMs: 10_000 },
        });
      }
      const u = await c.UpdateCertificateInstance({ OldCertificateId: oldId, CertificateId: newId, ResourceTypes: ['clb'] });
      await waitRecord(c, u.DeployRecordId!);

      // API calls whose outcome and action the HTTP metrics must show.
      await expectCode(c.DescribeCertificate({ CertificateId: 'nosuchid' }), 'FailedOperation.CertificateNotFound');
      await rawRequest(t.port, { method: 'POST', path: '/', headers: { 'Content-Type': 'application/json', 'X-TC-Action': 'NoSuchAction' }, body: '{}' });
      const v1 = await sendV1(t.port, signV1(t.port, t.cred, { action: 'DescribeCertificates', method: 'POST' }), 'POST');
      assert.ok(v1.json.Response.Certificates, 'the v1 POST call succeeded');
      const legacy = await sendV1(t.port, signV1(t.port, t.cred, { action: 'CertGetList', path: '/v2/index.php' }), 'GET', '/v2/index.php');
      assert.equal(legacy.json.code, 0);

      const s = await scrape(t.port);
      scrapedAt = clock();
      assert.equal(s.status, 200, s.text);
      contentType = s.type;
      f = parsePrometheusText(s.text);
    });
    after(async () => {
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('is Prometheus text format 0.0.4 that the Prometheus parser reads, with process metrics', () => {
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      assert.ok(f.length > 20);
      assert.ok(samples(f, 'process_cpu_user_seconds_total').length === 1);
      assert.ok(samples(f, 'nodejs_heap_size_used_bytes').length === 1);
      assert.equal(value(f, 'certport_metrics_database_up'), 1);
    });

    test('certificates by status and source match what was made', async () => {
      assert.equal(value(f, 'certport_certificates', { status: '1', state: 'issued', source: 'upload' }), uploads);
      assert.equal(value(f, 'certport_certificates', { status: '1', state: 'issued', source: 'embedded' }), 1);
      assert.equal(value(f, 'certport_certificates', { status: '2', state: 'failed', source: 'embedded' }), 1);
      assert.equal(value(f, 'certport_certificates', { status: '0', state: 'pending', source: 'embedded' }), 1);
      const total = samples(f, 'certport_certificates').reduce((n, s) => n + s.value, 0);
      const listed = (await c.DescribeCertificates({})).TotalCount! + (await sdkClient(t.port, other).DescribeCertificates({})).TotalCount!;
      assert.equal(total, listed, 'every certificate of every account, once');
    });

    test('seconds to the nearest expiry, per account with an issued certificate', async () => {
      for (const [cred, client] of [[t.cred, c], [other, sdkClient(t.port, other)]] as const) {
        const issued = (await client.DescribeCertificates({ CertificateStatus: [1] })).Certificates!;
        const soonest = Math.min(...issued.map((x) => utc(x.CertEndTime!)));
        const got = value(f, 'certport_certificate_nearest_expiry_seconds', { account: cred.accountUin });
        const want = (soonest - scrapedAt) / 1000;
        assert.ok(Math.abs(got - want) < 10, `account ${cred.accountUin}: ${got} s, expected about ${want} s`);
        assert.ok(got > 80 * 86_400 && got < 90 * 86_400, 'the 90-day certificates, 73 h of the clock later');
      }
      assert.equal(samples(f, 'certport_certificate_nearest_expiry_seconds', { account: idle.accountUin }).length, 0, 'no series for an account without certificates');
    });

    test('issuance, validation and deployment outcomes', () => {
      assert.equal(value(f, 'certport_issuance_outcomes_total', { outcome: 'issued' }), 1);
      assert.equal(value(f, 'certport_issuance_outcomes_total', { outcome: 'failed' }), 1);
      assert.equal(value(f, 'certport_validation_pending', { method: 'DNS' }), 1);
      assert.equal(samples(f, 'certport_validation_pending', { method: 'FILE' }).length, 0, 'the FILE order is done');
      const age = value(f, 'certport_validation_oldest_check_age_seconds', { method: 'DNS' });
      assert.ok(age >= 0 && age < 120, `checked or placed moments ago: ${age} s`);
      assert.equal(value(f, 'certport_deployments', { status: 'succeeded', resource_type: 'clb' }), 1);
      assert.equal(value(f, 'certport_deployments', { status: 'failed', resource_type: 'clb' }), 1);
    });

    test('HTTP request durations by method, route pattern, status and action; API outcomes by action and code', () => {
      const count = (labels: Record<string, string>) => value(f, 'certport_http_request_duration_seconds_count', { method: 'POST', route: '/', status_code: '200', ...labels });
      assert.equal(count({ action: 'UploadCertificate' }), uploads);
      assert.equal(count({ action: 'ApplyCertificate' }), 3);
      assert.ok(count({ action: 'DescribeCertificate' }) >= 4, 'the SDK calls, waits included');
      assert.equal(count({ action: 'other' }), 1, 'an unknown action is "other"');
      assert.ok(count({ action: 'DescribeCertificates' }) >= 1, 'v1 POST: the action from the form body');
      assert.equal(value(f, 'certport_http_request_duration_seconds_count', { method: 'GET', route: '/v2/index.php', action: 'CertGetList' }), 1);
      const inf = value(f, 'certport_http_request_duration_seconds_bucket', { method: 'POST', route: '/', status_code: '200', action: 'UploadCertificate', le: '+Inf' });
      assert.equal(inf, uploads, 'the +Inf bucket holds every call');
      const routes = new Set(samples(f, 'certport_http_request_duration_seconds_count').map((s) => s.labels.route));
      for (const r of routes) assert.ok(['/', '/v2/index.php', '/metrics', '/healthz', '/ca/:file', '/download/:id', 'unmatched'].includes(r!), `route pattern, never a raw URL: ${r}`);
      assert.equal(value(f, 'certport_api_requests_total', { action: 'DescribeCertificate', code: 'FailedOperation.CertificateNotFound' }), 1);
      assert.equal(value(f, 'certport_api_requests_total', { action: 'UploadCertificate', code: 'Success' }), uploads);
      assert.equal(value(f, 'certport_api_requests_total', { action: 'CertGetList', code: 'Success' }), 1);
      const unknown = samples(f, 'certport_api_requests_total', { action: 'other' });
      assert.equal(unknown.length, 1);
      assert.notEqual(unknown[0]!.labels.code, 'Success');
      assert.ok(!samples(f, 'certport_api_requests_total').some((s) => s.labels.action === 'NoSuchAction'));
    });

    test('the store counts expired certificates and drops them from the nearest expiry as time passes', async () => {
      const store = t.svc.core.stores.metrics;
      const later = clock() + 100 * DAY;
      const rows = await store.certificatesByStatus(later);
      const expired = rows.filter((r) => r.status === 1 && r.expired).reduce((n, r) => n + r.n, 0);
      assert.equal(expired, uploads + 1, 'every issued certificate is past its end 100 days on');
      assert.equal(rows.filter((r) => r.status === 1 && !r.expired).reduce((n, r) => n + r.n, 0), 0, 'none still valid');
      assert.deepEqual(await store.nearestExpiry(later), []);
    });
  });
}

describe('/metrics access', () => {
  const token = 'metrics-' + randomBytes(12).toString('hex');
  let t: TestService;
  before(async () => {
    t = await startTestService(BACKENDS[0]!, { env: { CERTPORT_METRICS_TOKEN: token } });
  });
  after(async () => { await t?.close(); });

  test('with CERTPORT_METRICS_TOKEN: 401 without the bearer token or with a wrong one, 200 with it', async () => {
    const none = await scrape(t.port);
    assert.equal(none.status, 401);
    assert.match(none.auth ?? '', /^Bearer/);
    assert.doesNotMatch(none.text, /certport_/);
    assert.equal((await scrape(t.port, { Authorization: `Bearer ${token}x` })).status, 401);
    assert.equal((await scrape(t.port, { Authorization: `Basic ${token}` })).status, 401);
    const ok = await scrape(t.port, { Authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    assert.equal(value(parsePrometheusText(ok.text), 'certport_metrics_database_up'), 1);
  });

  test('without a token, a listener beyond loopback refuses /metrics (403, saying how to turn it on) and warns at start; a token opens it', async () => {
    for (const h of ['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '192.0.2.10', '10.0.0.1', 'certs.example.net', '']) assert.equal(isLoopbackHost(h), false, h);
    // The routes on a real Fastify instance, answered through inject: tests listen on loopback only.
    const served = async (host: string, token: string | null) => {
      const logged: string[] = [];
      const app = Fastify({ logger: { level: 'info', stream: { write: (l: string) => { logged.push(l); } } } });
      metricsRoutes({ metrics: new Metrics(t.svc.core.stores.metrics, t.svc.core.services.clock), token, host })(app);
      await app.ready();
      return { app, logged };
    };
    const open = await served('0.0.0.0', null);
    try {
      const r = await open.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(r.statusCode, 403);
      assert.match(r.body, /listens on 0\.0\.0\.0, not on loopback only, and CERTPORT_METRICS_TOKEN is not set/);
      assert.doesNotMatch(r.body, /certport_/);
      const warn = open.logged.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => /\/metrics is off/.test(l.msg));
      assert.ok(warn && warn.level === 40, 'a warning at start says how to turn it on');
      assert.match(warn.msg, /Set CERTPORT_METRICS_TOKEN/);
    } finally {
      await open.app.close();
    }
    const tokened = await served('0.0.0.0', token);
    try {
      assert.equal((await tokened.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      const ok = await tokened.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.statusCode, 200);
      assert.equal(value(parsePrometheusText(ok.body), 'certport_metrics_database_up'), 1);
      assert.equal(tokened.logged.filter((l) => /metrics is off/.test(l)).length, 0);
    } finally {
      await tokened.app.close();
    }
    // A loopback listener without a token stays open, as the other tests here scrape it.
    const local = await served('127.0.0.1', null);
    try {
      assert.equal((await local.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    } finally {
      await local.app.close();
    }
  });

  test('CERTPORT_METRICS=0: no endpoint (404), the API still answers', async () => {
    const off = await startTestService(BACKENDS[0]!, { env: { CERTPORT_METRICS: '0' } });
    try {
      assert.equal((await scrape(off.port)).status, 404);
      assert.equal((await off.client.DescribeCertificates({})).TotalCount, 0);
    } finally {
      await off.close();
    }
  });

  test('configuration errors name the variable', () => {
    assert.throws(() => loadConfig({ CERTPORT_METRICS_TOKEN: 'short' }), (e: Error) => e instanceof ConfigError && /CERTPORT_METRICS_TOKEN must be at least 16 characters/.test(e.message));
    assert.throws(() => loadConfig({ CERTPORT_METRICS_TOKEN: 'has a space in the middle' }), /CERTPORT_METRICS_TOKEN/);
    assert.throws(() => loadConfig({ CERTPORT_METRICS: 'maybe' }), /CERTPORT_METRICS must be 1 or 0/);
    const c = loadConfig({});
    assert.equal(c.metrics, true);
    assert.equal(c.metricsToken, null);
    assert.equal(loadConfig({ CERTPORT_METRICS_TOKEN: ` ${token} ` }).metricsToken, token);
  });
});
