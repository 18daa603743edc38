// Deleting a certificate that renews another clears the other's renewal link (so it can be
// renewed again), in the deleting account only, through migration 0016's index rather than a
// read of every certificate of every account.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, sdkClient, startTestService, type TestService } from '../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`DeleteCertificate and renewal links (${backend})`, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => {
      await t?.close();
    });
    const db = () => t.svc.core.stores.kysely;
    const link = async (id: string) => (await db().selectFrom('certificates').select('renew_order_id').where('id', '=', id).executeTakeFirstOrThrow()).renew_order_id;

    test('the renewed certificate is unlinked; a link in another account is left alone', async () => {
      const chain = await makeChain('EC', 'renewed.example.com');
      const upload = async (c = t.client) => (await c.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Repeatable: true })).CertificateId!;
      const original = await upload();
      const renewal = await upload();
      const bystander = await upload();
      await t.svc.core.stores.certificates.linkRenewal(original, renewal, Date.now());
      // Another account's certificate pointing at the same id (ids are unique; only a forged row
      // could do this): deleting in this account must not reach across.
      const otherClient = sdkClient(t.port, await t.newAccount());
      const foreign = await upload(otherClient);
      await db().updateTable('certificates').set({ renew_order_id: renewal }).where('id', '=', foreign).execute();

      assert.equal(await link(original), renewal);
      assert.equal((await t.client.DeleteCertificate({ CertificateId: renewal })).DeleteResult, true);
      assert.equal(await link(original), null, 'the original can be renewed again');
      assert.equal(await link(foreign), renewal, 'the other account is untouched');
      assert.equal(await link(bystander), null);
      const left = await t.client.DescribeCertificates({ CertIds: [original, bystander, renewal] });
      assert.deepEqual(left.Certificates!.map((c) => c.CertificateId).sort(), [original, bystander].sort());
    });

    test('the link is found through its index', async () => {
      const plan = async (): Promise<string> => {
        if (backend === 'sqlite') {
          const { rows } = await sql<{ detail: string }>`explain query plan
            update certificates set renew_order_id = null where renew_order_id = ${'x'} and account_uin = ${'y'}`.execute(db());
          return rows.map((r) => r.detail).join('\n');
        }
        // The tables here are tiny, where a sequential scan is cheaper; with it priced out of
        // reach the plan shows whether the index can serve the statement at all.
        // Analysed first: unanalysed, the empty partial index and the account's wide listing
        // indexes (migration 0025) are priced alike and the pick among them is arbitrary.
        await sql`analyze certificates`.execute(db());
        return db().transaction().execute(async (tx) => {
          await sql`set local enable_seqscan = off`.execute(tx);
          const { rows } = await sql<{ 'QUERY PLAN': string }>`explain
            update certificates set renew_order_id = null where renew_order_id = ${'x'} and account_uin = ${'y'}`.execute(tx);
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
      };
      const p = await plan();
      assert.match(p, /certs_renew_order/, p);
    });
  });
}
