// /admin/resources: the operators' HTTP endpoint for resources, behind the admin token.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../../testing/harness.js';

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
});
