// A list item's marks of its stored material (CertificateQuery.material false): '' where the
// sealed key, key password, encryption certificate or encryption key is stored, null where not,
// on every backend; on SQLite from the row's material_flags (migration 0039_sq_list_marks),
// kept by triggers whatever writes certificate_material.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`listed material marks (${backend})`, () => {
    let t: TestService;
    const ids: string[] = [];
    before(async () => {
      t = await startTestService(backend);
      for (const name of ['keyed', 'bare']) {
        const chain = await makeChain('EC', `${name}.marks.example.com`);
        ids.push((await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: name })).CertificateId!);
      }
    });
    after(async () => {
      await t?.close();
    });

    const marks = async () => {
      const l = await t.svc.core.stores.certificates.listCertificates({ accountUin: t.cred.accountUin, offset: 0, limit: 10, now: Date.now() });
      return new Map(l.items.map((c) => [c.id, [c.privateKeySealed, c.keyPasswordSealed, c.encryptCertPem, c.encryptKeySealed]]));
    };

    test('as stored, and as the material changes', async () => {
      const [keyed, bare] = ids as [string, string];
      let m = await marks();
      assert.deepEqual(m.get(keyed), ['', null, null, null]);
      assert.deepEqual(m.get(bare), ['', null, null, null]);
      const { kysely } = t.svc.core.stores;
      await kysely.updateTable('certificate_material').set({ private_key_sealed: null, key_password_sealed: 'x', encrypt_cert_pem: 'y', encrypt_key_sealed: 'z' })
        .where('cert_id', '=', bare).execute();
      await kysely.updateTable('certificate_material').set({ private_key_sealed: null }).where('cert_id', '=', keyed).execute();
      m = await marks();
      assert.deepEqual(m.get(keyed), [null, null, null, null]);
      assert.deepEqual(m.get(bare), [null, '', '', '']);
      // Rewritten values (a master-key rotation) change no mark.
      await kysely.updateTable('certificate_material').set({ key_password_sealed: 'x2' }).where('cert_id', '=', bare).execute();
      assert.deepEqual((await marks()).get(bare), [null, '', '', '']);
    });
  });
}
