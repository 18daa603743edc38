// A listed page's DV orders awaiting issue and its revocations come with its side facts
// (sides.ts: PostgreSQL in the page statement, SQLite in the listing's snapshot), equal to what
// their own stores read, and only on the rows that show them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';
import type { Listed } from './plan.js';

for (const backend of BACKENDS) describe(`listed side facts: DV orders and revocations (${backend})`, () => {
  let t: TestService;
  before(async () => {
    t = await startTestService(backend);
  });
  after(async () => {
    await t?.close();
  });

  test('read with the page where the item shows them, null elsewhere', async () => {
    const ids: string[] = [];
    for (const name of ['revoked', 'awaiting', 'issued', 'awaiting-not-dv']) {
      const chain = await makeChain('EC', `${name}.sides.example.com`);
      ids.push((await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: name })).CertificateId!);
    }
    const [revoked, awaiting, issued, notDv] = ids as [string, string, string, string];
    const { certificates, dvOrders, revocations, kysely } = t.svc.core.stores;
    const account = t.cred.accountUin;
    await kysely.updateTable('certificates').set({ status: 10 }).where('id', '=', revoked).execute();
    await kysely.updateTable('certificates').set({ status: 4, is_dv: 1 }).where('id', '=', awaiting).execute();
    await kysely.updateTable('certificates').set({ status: 0, is_dv: 0 }).where('id', '=', notDv).execute();
    const revocation = (certId: string) => ({ cert_id: certId, account_uin: account, serial_hex: 'ab' + certId.slice(0, 6), encrypt_serial_hex: null,
      crl_issuer: 'rsa-intermediate', reason: 1, state: 'revoked', requested_at: 1_700_000_000_000, requested_by: 'test', revoked_at: 1_700_000_001_000,
      auths: '[]', last_check_detail: null, letter_sealed: null, letter_type: null, confirmed_by: null, spki_sha256: 'spki-' + certId });
    // A revocation row of an issued certificate (never shown) too.
    await kysely.insertInto('revocations').values([revocation(revoked), revocation(issued)]).execute();
    const order = (certId: string) => ({ cert_id: certId, account_uin: account, method: 'DNS', main_domain: 'awaiting.sides.example.com',
      auths: JSON.stringify([{ domain: 'awaiting.sides.example.com', key: '_acme-challenge', value: 'v' }]), key_algo: 'RSA', key_param: '2048',
      contact_email: null, contact_phone: null, delete_dns_auto_record: 1, record_state: 'pending', last_check_at: 1_700_000_002_000,
      last_check_detail: 'not yet', created_at: 1_700_000_000_000, acme_order_url: null, csr_pem: null });
    await kysely.insertInto('dv_orders').values([order(awaiting), order(notDv)]).execute();

    const l: Listed = await certificates.listCertificates({ accountUin: account, offset: 0, limit: 10, now: Date.now(), sides: true });
    assert.equal(l.items.length, 4);
    const byId = new Map(l.items.map((c, i) => [c.id, l.sides![i]!]));
    const orders = await dvOrders.getDvOrders([awaiting]);
    const revs = await revocations.getRevocations([revoked]);
    assert.deepEqual(byId.get(awaiting)!.order, orders.get(awaiting));
    assert.deepEqual(byId.get(revoked)!.revocation, revs.get(revoked));
    assert.equal(byId.get(revoked)!.order, null);
    assert.equal(byId.get(awaiting)!.revocation, null);
    assert.equal(byId.get(issued)!.revocation, null);
    assert.equal(byId.get(notDv)!.order, null);
  });

  test('muted notices, hosting, project and resources as their own stores read them', async () => {
    const { certificates, deployments, hosting, projects } = t.svc.core.stores;
    const account = t.cred.accountUin;
    const l0: Listed = await certificates.listCertificates({ accountUin: account, offset: 0, limit: 10, now: Date.now() });
    const ids = l0.items.map((c) => c.id);
    await deployments.setIgnoreExpiry(account, [ids[0]!], true, Date.now());
    await hosting.put(ids[1]!, account, { resourceTypes: ['clb', 'cdn'], replaceDays: 7, messageTypes: [0, 3], windowStart: '01:00', windowEnd: null }, 1_700_000_000_000);
    // One deployed with a listed certificate, one last probed serving another's fingerprint, one neither.
    const resource = (id: string, certId: string | null, probeSha256: string | null, createdAt: number) => ({
      id, accountUin: account, name: `r-${id}`, type: 'clb', region: 'ap-x', domains: ['a.example.com', 'b.example.com'],
      probe: { address: '127.0.0.1:443', sni: null }, deployerType: 'noop', deployerConfig: { n: 1, s: 'x"y' }, deployerSecretSealed: null,
      certId, certSha256: null, deployedAt: certId ? 1_700_000_000_500 : null, probeSha256, probeAt: probeSha256 ? 1_700_000_000_600 : null,
      probeError: null, createdAt, updatedAt: createdAt + 1,
    });
    await deployments.insertResource(resource('res-b', ids[0]!, null, 1_700_000_000_002));
    await deployments.insertResource(resource('res-a', null, l0.items[1]!.fingerprintSha256, 1_700_000_000_001));
    await deployments.insertResource(resource('res-c', null, 'f'.repeat(64), 1_700_000_000_000));
    const l: Listed = await certificates.listCertificates({ accountUin: account, offset: 0, limit: 10, now: Date.now(), sides: true });
    assert.ok(l.sides && l.sides.length === l.items.length);
    const ignored = await deployments.ignoredExpiry(account, ids);
    const hosted = await hosting.getMany(account, ids);
    const found = new Map((await projects.getProjects(account, l.items.map((c) => c.projectId))).map((p) => [p.projectId, p] as const));
    l.items.forEach((c, i) => {
      const s = l.sides![i]!;
      assert.equal(s.ignoredExpiry, ignored.has(c.id));
      assert.deepEqual(s.hosting, hosted.get(c.id) ?? null);
      assert.deepEqual(s.project, found.get(c.projectId) ?? null);
    });
    assert.ok(l.sides.some((s) => s.ignoredExpiry));
    assert.ok(l.sides.some((s) => s.hosting !== null));
    const serving = await deployments.resourcesServing(account, ids, l.items.map((c) => c.fingerprintSha256));
    assert.deepEqual(serving.map((r) => r.id), ['res-a', 'res-b']);
    // Each item's own among them (SQLite gives every item the page's list, PostgreSQL each its own).
    l.items.forEach((c, i) => {
      const own = (rs: typeof serving) => rs.filter((r) => r.certId === c.id || r.probeSha256 === c.fingerprintSha256);
      assert.deepEqual(own(l.sides![i]!.resources), own(serving), c.id);
    });
  });

  test('resources and hosting of the page as their own stores read them', async () => {
    const { certificates, deployments, hosting, kysely } = t.svc.core.stores;
    const account = t.cred.accountUin;
    const l0: Listed = await certificates.listCertificates({ accountUin: account, offset: 0, limit: 10, now: Date.now() });
    const [a, b, c] = l0.items as [typeof l0.items[0], typeof l0.items[0], typeof l0.items[0]];
    const resource = (id: string, certId: string | null, probe: string | null, at: number) => ({ id, account_uin: account, name: id,
      resource_type: 'clb', region: 'ap-guangzhou', domains: '[]', probe_address: null, probe_sni: null, deployer_type: 'script',
      deployer_config: '{}', deployer_secret_sealed: null, cert_id: certId, cert_sha256: certId ? 'sha-' + certId : null, deployed_at: certId ? at : null,
      probe_sha256: probe, probe_at: probe ? at + 1 : null, probe_error: null, created_at: at, updated_at: at });
    // Deployed with `a`; probed serving `b`'s fingerprint; deployed with `a` and probed serving `b`.
    await kysely.insertInto('deploy_resources').values([resource('res-1', a.id, null, 1_700_000_000_000), resource('res-2', null, b.fingerprintSha256, 1_700_000_001_000),
      resource('res-3', a.id, b.fingerprintSha256, 1_699_000_000_000)]).execute();
    const hostingRow = (certId: string) => ({ cert_id: certId, account_uin: account, resource_types: '["clb"]', replace_days: 30, message_types: '[0]',
      window_start: null, window_end: null, status: 1, renew_cert_id: null, record_id: null, complete_at: null, failures: 0, next_at: 1_700_000_000_000,
      last_error: null, created_at: 1_700_000_000_000, updated_at: 1_700_000_000_000 });
    await kysely.insertInto('cert_hosting').values([hostingRow(c.id)]).execute();
    const l: Listed = await certificates.listCertificates({ accountUin: account, offset: 0, limit: 10, now: Date.now(), sides: true });
    // SQLite answers the page's resources for every item (sqliteSides); PostgreSQL each item's own.
    const serving = await deployments.resourcesServing(account, l.items.map((x) => x.id), l.items.map((x) => x.fingerprintSha256));
    // (The test before left res-a and res-b on this account: its own are res-1 to res-3.)
    assert.deepEqual(serving.map((r) => r.id).filter((id) => /^res-\d$/.test(id)), ['res-3', 'res-1', 'res-2']);
    const hosted = await hosting.getMany(account, l.items.map((x) => x.id));
    l.items.forEach((x, i) => {
      const s = l.sides![i]!;
      const own = serving.filter((r) => r.certId === x.id || r.probeSha256 === x.fingerprintSha256);
      if (backend === 'postgres') assert.deepEqual(s.resources, own, x.id);
      else for (const r of own) assert.ok(s.resources.some((y) => y.id === r.id), x.id);
      assert.deepEqual(s.hosting, hosted.get(x.id) ?? null);
    });
    assert.ok(l.sides!.some((s) => s.hosting !== null));
  });
});
