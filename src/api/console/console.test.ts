// The console's API without a browser (issue 25), on SQLite and PostgreSQL: sign-in and its
// cookie, CSRF and origin checks, throttling, idle and absolute expiry (the clock injected),
// sign-out everywhere, actions through the same handlers (operation log, error codes,
// another account's data), API keys, users and the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http2 from 'node:http2';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, expectCode, sdkClient, startTestService, type TestService } from '../../testing/harness.js';
import { ConsoleClient } from '../../testing/console-client.js';
import { makeChain } from '../../testing/pki-fixtures.js';
import { CLI_ARGS, runCli } from '../../testing/cli.js';
import { LOGIN_LIMITS } from './throttle.js';
import { hashPassword, verifyPassword } from '../../services/console-users.js';

const MIN = 60_000;

test('scrypt hashes carry their parameters and verify only the right password', async () => {
  const h = await hashPassword('correct horse');
  assert.match(h, /^scrypt\$15\$8\$3\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
  assert.deepEqual(await verifyPassword('correct horse', h), { ok: true, current: true });
  assert.equal((await verifyPassword('correct horsE', h)).ok, false);
  assert.notEqual(await hashPassword('correct horse'), h, 'salted');
});

test('behind TLS (an https public URL) the session cookie is Secure; a foreign Origin is refused at sign-in too', async () => {
  const t = await startTestService('sqlite', { env: { CERTPORT_PUBLIC_URL: 'https://certs.example.test' } });
  try {
    await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, 'tls-password-1');
    const c = new ConsoleClient(`http://127.0.0.1:${t.port}`);
    const r = await c.login(t.cred.accountUin, 'tls-password-1');
    assert.match(r.headers.get('set-cookie')!, /; Secure$/);
    // The public URL's origin is the console's own (a TLS proxy in front).
    assert.equal((await c.call('POST', 'DescribeCertificates', {}, { origin: 'https://certs.example.test' })).status, 200);
    const evil = new ConsoleClient(`http://127.0.0.1:${t.port}`, { origin: 'https://evil.example' });
    const refused = await evil.login(t.cred.accountUin, 'tls-password-1');
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('set-cookie'), null);
  } finally {
    await t.close();
  }
});

test('on the HTTPS listener (HTTP/2) the session cookie is Secure and the console works', async () => {
  const t = await startTestService('sqlite', { env: { CERTPORT_TLS_PORT: '0' } });
  const session = http2.connect(`https://127.0.0.1:${t.svc.tls!.port}`, { rejectUnauthorized: false });
  const ask = (headers: Record<string, string>, body?: string) => new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>((ok, fail) => {
    const r = session.request(headers);
    let text = '';
    let h: http2.IncomingHttpHeaders = {};
    r.on('response', (x) => { h = x; }).on('data', (d: Buffer) => { text += d.toString(); }).on('end', () => ok({ headers: h, body: text })).on('error', fail);
    r.end(body);
  });
  try {
    await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, 'tls-password-1');
    const origin = `https://127.0.0.1:${t.svc.tls!.port}`;
    const login = await ask({ ':method': 'POST', ':path': '/console/api/login', 'content-type': 'application/json', origin },
      JSON.stringify({ UserName: t.cred.accountUin, Password: 'tls-password-1' }));
    assert.equal(login.headers[':status'], 200, login.body);
    const cookie = String(login.headers['set-cookie']);
    assert.match(cookie, /HttpOnly; SameSite=Strict; Max-Age=\d+; Secure/);
    const csrf = (JSON.parse(login.body) as { Response: { CsrfToken: string } }).Response.CsrfToken;
    const list = await ask({ ':method': 'POST', ':path': '/console/api/DescribeCertificates', 'content-type': 'application/json', origin,
      cookie: cookie.split(';')[0]!, 'x-csrf-token': csrf }, '{}');
    assert.equal((JSON.parse(list.body) as { Response: { TotalCount: number } }).Response.TotalCount, 0);
    const page = await ask({ ':method': 'GET', ':path': '/console/' });
    assert.ok([200, 503].includes(Number(page.headers[':status'])), 'the same routes as the HTTP port');
  } finally {
    session.close();
    await t.close();
  }
});

for (const backend of BACKENDS) {
  describe(`console API (${backend})`, () => {
    let t: TestService;
    let offset = 0;
    let base: string;
    /** Failed sign-ins from this address so far (the address limit counts them all). */
    let failed = 0;
    const refusedLogin = async (c: ConsoleClient, user: string, password: string, account = '') => {
      const r = await c.login(user, password, account);
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.Response.Error.Code, 'AuthFailure.InvalidAuthorization');
      failed++;
    };
    const PASSWORD = 'root-password-1';
    before(async () => {
      t = await startTestService(backend, { clock: () => Date.now() + offset });
      base = `http://127.0.0.1:${t.port}`;
      await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
    });
    after(async () => { await t.close(); });

    const signedIn = async (user = t.cred.accountUin, password = PASSWORD, account = '') => {
      const c = new ConsoleClient(base);
      const r = await c.login(user, password, account);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return c;
    };

    test('sign-in sets an HttpOnly, SameSite=Strict session cookie; whoami answers with the CSRF token', async () => {
      const c = new ConsoleClient(base);
      const r = await c.login(t.cred.accountUin, PASSWORD);
      assert.equal(r.status, 200);
      const cookie = r.headers.get('set-cookie')!;
      assert.match(cookie, /^certport_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=43200$/);
      assert.doesNotMatch(cookie, /Secure/, 'plain HTTP: no Secure');
      assert.equal(r.body.Response.Uin, t.cred.accountUin);
      assert.equal(r.body.Response.IsRoot, true);
      assert.ok(r.body.Response.RequestId);
      const me = await c.call('GET', 'whoami');
      assert.equal(me.status, 200);
      assert.equal(me.body.Response.CsrfToken, c.csrf);
      // Only a hash of the token is stored.
      const rows = await t.svc.core.stores.kysely.selectFrom('console_sessions').select('id_hash').execute();
      assert.ok(rows.every((row) => !c.cookie.includes(row.id_hash)));
      assert.equal((await new ConsoleClient(base).call('GET', 'whoami')).status, 401);
    });

    test('a sub-user signs in by name within the account, or by SubAccountUin; actions log them as SubAccountUin', async () => {
      const sub = await t.svc.core.console.createUser(t.cred.accountUin, 'alice', 'alice-password');
      await refusedLogin(new ConsoleClient(base), 'alice', 'alice-password'); // a name needs the account
      await signedIn(sub.uin, 'alice-password');
      const c = await signedIn('alice', 'alice-password', t.cred.accountUin);
      const chain = await makeChain('EC', 'console-log.example.com');
      const up = await c.action('UploadCertificate', { CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem, Alias: 'by-alice' });
      assert.match(up.CertificateId, /^[A-Za-z0-9]{8}$/);
      const logs = await t.client.DescribeCertificateOperateLogs({});
      const entry = logs.OperateLogs!.find((l) => l.CertId === up.CertificateId)!;
      assert.equal(entry.SubAccountUin, sub.uin);
      // Same parameter checks and codes as the signed API.
      await expectCode(c.action('DescribeCertificates', { Limit: 'x' }), 'InvalidParameter');
      await expectCode(c.action('NoSuchAction'), 'InvalidAction');
      await expectCode(c.action('DescribeCertificateDetail', { CertificateId: 'zzzzzzzz' }), 'FailedOperation.CertificateNotFound');
      await c.action('DeleteCertificate', { CertificateId: up.CertificateId });
    });

    test('another account sees none of it, through the console or with a foreign id', async () => {
      const root = await signedIn();
      const chain = await makeChain('EC', 'mine.example.com');
      const { CertificateId: id } = await root.action('UploadCertificate', { CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      const other = await t.newAccount();
      await t.svc.core.console.setPassword(other.accountUin, other.accountUin, 'other-password');
      const o = await signedIn(other.accountUin, 'other-password');
      assert.equal((await o.action('DescribeCertificates', {})).TotalCount, 0);
      // The same code the signed API gives that account for that id.
      const apiCode = await sdkClient(t.port, other).DescribeCertificateDetail({ CertificateId: id }).then(() => 'none', (e: { code: string }) => e.code);
      await expectCode(o.action('DescribeCertificateDetail', { CertificateId: id }), apiCode);
      await expectCode(o.action('DownloadCertificate', { CertificateId: id }), apiCode);
      await expectCode(o.action('DeleteCertificate', { CertificateId: id }), apiCode);
      assert.equal((await root.action('DescribeCertificateDetail', { CertificateId: id })).CertificateId, id);
      // Nor its keys or users; the root user's SecretId is "not found" to the other account.
      const keys = await o.call('GET', 'keys');
      assert.ok(keys.body.Response.Keys.every((k: { SecretId: string }) => k.SecretId !== t.cred.secretId));
      const r = await o.call('POST', 'keys/disable', { SecretId: t.cred.secretId });
      assert.equal(r.body.Response.Error.Code, 'ResourceNotFound');
      // And the other account cannot sign in by naming a user of this one.
      await refusedLogin(new ConsoleClient(base), t.cred.accountUin, PASSWORD, other.accountUin);
    });

    test('CSRF: a state change without the session\'s token, or from another origin, is refused', async () => {
      const c = await signedIn();
      const d = await signedIn();
      const count = async () => (await c.action('DescribeCertificates', {})).TotalCount as number;
      const n = await count();
      const chain = await makeChain('EC', 'csrf.example.com');
      const upload = { CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem };
      const refused = async (extra: Record<string, string>, csrf: string) => {
        const saved = c.csrf;
        c.csrf = csrf;
        const r = await c.call('POST', 'UploadCertificate', upload, extra);
        c.csrf = saved;
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.equal(r.body.Response.Error.Code, 'AuthFailure.UnauthorizedOperation');
      };
      await refused({}, '');
      await refused({}, 'x'.repeat(43));
      await refused({}, d.csrf); // another session's token
      await refused({ origin: 'http://evil.example' }, c.csrf);
      await refused({ 'sec-fetch-site': 'cross-site' }, c.csrf);
      await refused({ 'sec-fetch-site': 'same-site' }, c.csrf);
      // A form post (no JSON) is not read as parameters.
      const form = await fetch(`${base}/console/api/UploadCertificate`, {
        method: 'POST', headers: { cookie: c.cookie, 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': c.csrf }, body: 'CertificatePublicKey=x',
      });
      assert.equal(((await form.json()) as { Response: { Error: { Code: string } } }).Response.Error.Code, 'InvalidParameter');
      assert.equal(await count(), n, 'nothing was uploaded');
      await c.call('POST', 'logout', {}, { 'sec-fetch-site': 'same-origin', origin: base });
      assert.equal((await c.call('GET', 'whoami')).status, 401);
      assert.equal((await d.call('GET', 'whoami')).status, 200, 'signing out ends that session only');
    });

    test('sessions end when idle, and at their absolute end however active', async () => {
      const cfg = t.svc.core.config;
      const c = await signedIn();
      offset += (cfg.consoleIdleMinutes - 1) * MIN;
      assert.equal((await c.call('GET', 'whoami')).status, 200, 'within the idle time');
      offset += cfg.consoleIdleMinutes * MIN;
      assert.equal((await c.call('GET', 'whoami')).status, 401, 'idle too long');
      const a = await signedIn();
      const started = offset;
      while (offset - started < cfg.consoleSessionHours * 60 * MIN - 20 * MIN) {
        offset += 20 * MIN;
        assert.equal((await a.call('GET', 'whoami')).status, 200, `active at ${(offset - started) / MIN} min`);
      }
      offset += 21 * MIN;
      const r = await a.call('GET', 'whoami');
      assert.equal(r.status, 401, 'past the absolute end');
      assert.equal(r.body.Response.Error.Code, 'AuthFailure.InvalidAuthorization');
    });

    test('sign-out everywhere ends every session of the user; a new password does too', async () => {
      const a = await signedIn();
      const b = await signedIn();
      const r = await a.call('POST', 'logout-everywhere', {});
      assert.ok(r.body.Response.EndedSessions >= 2);
      assert.equal((await b.call('GET', 'whoami')).status, 401);
      assert.equal((await a.call('GET', 'whoami')).status, 401);
      const c = await signedIn();
      await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
      assert.equal((await c.call('GET', 'whoami')).status, 401);
    });

    test('API keys: listed without secrets, created once shown, disabled, deleted; a sub-user sees only their own', async () => {
      const root = await signedIn();
      const list = await root.call('GET', 'keys');
      assert.ok(list.body.Response.Keys.some((k: { SecretId: string }) => k.SecretId === t.cred.secretId));
      assert.ok(!JSON.stringify(list.body).includes(t.cred.secretKey));
      const created = await root.call('POST', 'keys/create', {});
      const { SecretId, SecretKey } = created.body.Response as { SecretId: string; SecretKey: string };
      assert.ok(SecretKey.length >= 16);
      const client = sdkClient(t.port, { accountUin: t.cred.accountUin, secretId: SecretId, secretKey: SecretKey });
      await client.DescribeCertificates({});
      assert.ok(!JSON.stringify((await root.call('GET', 'keys')).body).includes(SecretKey), 'shown once');
      assert.deepEqual((await root.call('POST', 'keys/disable', { SecretId })).body.Response.Error, undefined);
      assert.equal((await root.call('GET', 'keys')).body.Response.Keys.find((k: { SecretId: string }) => k.SecretId === SecretId).Status, 'disabled');
      await root.call('POST', 'keys/delete', { SecretId });
      assert.ok(!(await root.call('GET', 'keys')).body.Response.Keys.some((k: { SecretId: string }) => k.SecretId === SecretId));
      const bob = await root.call('POST', 'users/create', { UserName: 'bob', Password: 'bob-password' });
      assert.match(bob.body.Response.SubAccountUin, /^\d+$/);
      const b = await signedIn('bob', 'bob-password', t.cred.accountUin);
      assert.equal((await b.call('GET', 'keys')).body.Response.TotalCount, 0);
      assert.equal((await b.call('GET', 'users')).body.Response.Error.Code, 'AuthFailure.UnauthorizedOperation');
      assert.equal((await b.call('POST', 'keys/delete', { SecretId: t.cred.secretId })).body.Response.Error.Code, 'ResourceNotFound');
    });

    test('the CLI creates a user with a password file and sets the root user\'s password', async () => {
      const file = path.join(t.dataDir, 'pw.txt');
      await writeFile(file, 'cli-password-1\n', { mode: 0o600 });
      const made = await runCli(t.env, 'user', 'create', '--account', t.cred.accountUin, '--name', 'carol', '--password-file', file, '--json');
      assert.equal(made.code, 0, made.stderr);
      assert.equal(JSON.parse(made.stdout).UserName, 'carol');
      await signedIn('carol', 'cli-password-1', t.cred.accountUin);
      const dup = await runCli(t.env, 'user', 'create', '--account', t.cred.accountUin, '--name', 'carol', '--password', 'another-one');
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /already has a user named carol/);
      const set = await runCli(t.env, 'user', 'password', '--account', t.cred.accountUin, '--password-file', file);
      assert.equal(set.code, 0, set.stderr);
      await signedIn(t.cred.accountUin, 'cli-password-1');
      // From stdin, for a sub-user.
      const carol = JSON.parse(made.stdout).SubAccountUin as string;
      const piped = spawnSync(process.execPath, [...CLI_ARGS, 'user', 'password', '--account', t.cred.accountUin, '--user', carol],
        { env: { ...process.env, ...t.env }, input: 'piped-password-1\n', encoding: 'utf8' });
      assert.equal(piped.status, 0, piped.stderr);
      await signedIn(carol, 'piped-password-1');
      await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
      const short = await runCli(t.env, 'user', 'create', '--account', t.cred.accountUin, '--name', 'dave', '--password', 'short');
      assert.match(short.stderr, /at least 8 characters/);
    });

    // Last: it leaves this address throttled.
    test('throttling: after 5 failures for a user, and 20 from an address, even the right password gets 429', async () => {
      await t.svc.core.console.createUser(t.cred.accountUin, 'erin', 'erin-password');
      const c = new ConsoleClient(base);
      for (let i = 0; i < LOGIN_LIMITS.perUser; i++) await refusedLogin(c, 'erin', 'wrong-password', t.cred.accountUin);
      const r = await c.login('erin', 'erin-password', t.cred.accountUin);
      assert.equal(r.status, 429);
      assert.equal(r.body.Response.Error.Code, 'RequestLimitExceeded');
      assert.ok(Number(r.headers.get('retry-after')) > 14 * 60);
      // Named by SubAccountUin it is the same user, so the same counter.
      const erin = (await t.svc.core.console.findUser(t.cred.accountUin, 'erin'))!;
      assert.equal((await c.login(erin.uin, 'erin-password')).status, 429);
      // Another user is still let in until the address reaches 20.
      await signedIn();
      while (failed < LOGIN_LIMITS.perAddress) await refusedLogin(c, `nobody${failed}`, 'wrong-password', t.cred.accountUin);
      const blocked = await c.login(t.cred.accountUin, PASSWORD);
      assert.equal(blocked.status, 429);
      assert.equal(blocked.headers.get('set-cookie'), null);
    });
  });
}
