// /admin/resources: the operators' HTTP endpoint for resources, behind the admin token.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../../testing/harness.js';
import { hostingInput } from './hosting.js';

const TOKEN = 'admin-token-for-the-tests-0123456789';

describe('admin resources endpoint', () => {
  let t: TestService;
  let dir: string;
  before(async () => {
    t = await startTestService('sqlite', { env: { CERTPORT_ADMIN_TOKEN: TOKEN } });
    dir = await mkdtemp(path.join(tmpdir(), 'certport-admin-res-'));
  });
  after(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const call = (method: string, p: string, body?: unknown, token = TOKEN) => fetch(`http://127.0.0.1:${t.port}/admin${p}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

  test('add, list, test, remove; refused without the token; bad settings are a 400 naming the problem', async () => {
    assert.equal((await call('GET', '/resources', undefined, 'wrong-token-wrong-token')).status, 401);
    const add = await call('POST', '/resources', {
      accountUin: t.cred.accountUin, name: 'web', type: 'cdn', deployer: 'webhook', domains: ['a.example'],
      config: { url: 'https://hooks.example/deploy' }, secrets: { hmacSecret: 'sixteen-or-more-characters' },
    });
    assert.equal(add.status, 201);
    const r = await add.json() as { id: string; hasSecrets: boolean; config: unknown };
    assert.match(r.id, /^cdn-/);
    assert.equal(r.hasSecrets, true);
    assert.ok(!JSON.stringify(r).includes('sixteen-or-more'), 'secrets never come back');
    const list = await (await call('GET', `/resources?account=${t.cred.accountUin}`)).json() as { id: string }[];
    assert.deepEqual(list.map((x) => x.id), [r.id]);
    const tested = await (await call('POST', `/resources/${r.id}/test`)).json() as { ok: boolean; lines: string[] };
    assert.equal(tested.ok, false);
    assert.match(tested.lines[0]!, /^FAIL: POST https:\/\/hooks\.example\/deploy/);
    const bad = await call('POST', '/resources', { accountUin: t.cred.accountUin, name: 'x', type: 'clb', deployer: 'local', config: { files: [{ path: 'rel.pem' }] } });
    assert.equal(bad.status, 400);
    assert.match((await bad.json() as { error: string }).error, /absolute path/);
    // PATCH: the new URL takes effect; the stored secret is kept when none is sent.
    const patched = await call('PATCH', `/resources/${r.id}`, { config: { url: 'https://hooks.example/v2' }, probe: null, name: 'web-2' });
    assert.equal(patched.status, 200);
    const p2 = await patched.json() as { name: string; hasSecrets: boolean; config: { url: string } };
    assert.equal(p2.name, 'web-2');
    assert.equal(p2.config.url, 'https://hooks.example/v2');
    assert.equal(p2.hasSecrets, true);
    const badPatch = await call('PATCH', `/resources/${r.id}`, { secrets: { hmacSecret: 'short' } });
    assert.equal(badPatch.status, 400);
    assert.match((await badPatch.json() as { error: string }).error, /hmacSecret must be at least 16/);
    assert.equal((await call('DELETE', `/resources/${r.id}`)).status, 204);
    assert.equal((await call('DELETE', `/resources/${r.id}`)).status, 404);
  });

  test("bodies take the CLI's names (account, cert, domains as a list or a string) and the earlier ones; PATCH config is a JSON merge patch", async () => {
    const add = await call('POST', '/resources', {
      account: t.cred.accountUin, name: 'cli-names', type: 'clb', deployer: 'webhook', domains: 'a.names.test, b.names.test',
      config: { url: 'https://hooks.example/one', timeoutMs: 5000, headers: { 'x-team': 'pki', 'x-env': 'prod' } }, secrets: { hmacSecret: 'sixteen-or-more-characters' },
    });
    assert.equal(add.status, 201, await add.clone().text());
    const r = await add.json() as { id: string; accountUin: string; domains: string[] };
    assert.equal(r.accountUin, t.cred.accountUin);
    assert.deepEqual(r.domains, ['a.names.test', 'b.names.test']);
    const missing = await call('POST', '/resources', { name: 'x', type: 'clb', deployer: 'webhook', config: { url: 'https://hooks.example/' } });
    assert.equal(missing.status, 400);
    assert.match((await missing.json() as { error: string }).error, /account is required/);
    const both = await call('POST', '/resources', { account: t.cred.accountUin, accountUin: '100000000001', name: 'x', type: 'clb', deployer: 'webhook', config: { url: 'https://hooks.example/' } });
    assert.equal(both.status, 400);
    assert.match((await both.json() as { error: string }).error, /account and accountUin name the same thing and differ/);
    const noCert = await call('POST', '/resources', { account: t.cred.accountUin, cert: 'NoSuchCert', name: 'x', type: 'clb', deployer: 'webhook', config: { url: 'https://hooks.example/' } });
    assert.equal(noCert.status, 400, 'cert stands for certId and is checked');

    // RFC 7396: the URL changes, timeoutMs and the other header stay; null removes a key.
    const p1 = await call('PATCH', `/resources/${r.id}`, { config: { url: 'https://hooks.example/two', headers: { 'x-env': null } }, domains: 'c.names.test', probe: 'none' });
    assert.equal(p1.status, 200, await p1.clone().text());
    const v1 = await p1.json() as { config: Record<string, unknown>; domains: string[]; hasSecrets: boolean };
    assert.deepEqual([v1.config.url, v1.config.timeoutMs, v1.config.headers], ['https://hooks.example/two', 5000, { 'x-team': 'pki' }]);
    assert.deepEqual(v1.domains, ['c.names.test']);
    assert.equal(v1.hasSecrets, true);
    const v2 = await (await call('PATCH', `/resources/${r.id}`, { config: { timeoutMs: null } })).json() as { config: Record<string, unknown> };
    // Removed, timeoutMs is the deployer's default again; the rest stays.
    assert.notEqual(v2.config.timeoutMs, 5000);
    assert.deepEqual({ ...v2.config, timeoutMs: 0 }, { ...v1.config, timeoutMs: 0 });
    // The merged result is checked as on add: removing the URL is refused, and nothing changes.
    const bad = await call('PATCH', `/resources/${r.id}`, { config: { url: null } });
    assert.equal(bad.status, 400);
    const list = await (await call('GET', `/resources?account=${t.cred.accountUin}`)).json() as { id: string; config: unknown }[];
    assert.deepEqual(list.find((x) => x.id === r.id)!.config, v2.config);
  });

  test("hosting bodies in the CLI's names become the SDK's", () => {
    assert.deepEqual(hostingInput({ types: 'clb,cdn', 'replace-days': '20', messages: '1,3', window: '02:00-05:00' }),
      { ResourceTypes: ['clb', 'cdn'], HostingConfig: { ReplaceTime: 20, MessageTypes: [1, 3], ReplaceStartTime: '02:00', ReplaceEndTime: '05:00' } });
    assert.deepEqual(hostingInput({ types: ['clb'] }), { ResourceTypes: ['clb'], HostingConfig: {} });
    const sdk = { ResourceTypes: ['clb'], HostingConfig: { ReplaceTime: 7 } };
    assert.equal(hostingInput(sdk), sdk);
    assert.throws(() => hostingInput({ types: 'clb', ResourceTypes: ['cdn'] }), /cannot be mixed/);
  });
});
