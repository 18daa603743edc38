// DownloadCertificate's kept archive (issue 27): built once, sealed under the master key, served
// byte for byte while the certificate's inputs are unchanged, built again (same keystore
// password) when they change, gone with the certificate; and the chain's facts found on first
// read for a row stored without them. On both backends, through the official SDK.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { keytoolList, makeChain, run, withTempDir, type TestChain } from '../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';

const D = 'kept.download.test';

/** Unzips `zip`, checks the keystores open with keystorePass.txt (openssl, keytool); returns the password and the chain file. */
async function verifyArchive(zip: Buffer, chainLength: number): Promise<{ password: string; rootBundle: string; names: string[] }> {
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'c.zip');
    await writeFile(file, zip);
    run('unzip', ['-t', '-q', file]);
    run('unzip', ['-q', file, '-d', path.join(dir, 'x')]);
    const x = (...p: string[]) => path.join(dir, 'x', ...p);
    const password = (await readFile(x(`${D}_iis`, 'keystorePass.txt'), 'utf8')).trim();
    run('openssl', ['pkcs12', '-info', '-noout', '-passin', `pass:${password}`, '-in', x(`${D}_iis`, `${D}.pfx`)]);
    assert.equal(keytoolList(x(`${D}_iis`, `${D}.pfx`), 'PKCS12', password).entries[0]!.chainLength, chainLength);
    assert.equal(keytoolList(x(`${D}_jks`, `${D}.jks`), 'JKS', password).entries[0]!.chainLength, chainLength);
    return { password, rootBundle: await readFile(x(`${D}_apache`, 'root_bundle.crt'), 'utf8'), names: run('unzip', ['-Z1', file]).trim().split('\n') };
  });
}

for (const backend of BACKENDS) {
  describe(`DownloadCertificate keeps its archive (${backend})`, () => {
    let t: TestService;
    let ch: TestChain;
    before(async () => {
      t = await startTestService(backend);
      ch = await makeChain('RSA', D);
    });
    after(async () => { await t.close(); });
    const db = () => t.svc.core.stores.kysely;
    const kept = (id: string) => db().selectFrom('certificate_downloads').selectAll().where('cert_id', '=', id).executeTakeFirst();
    // The archive is kept just after the answer: wait for it, as a later request on this node would.
    const download = async (id: string) => {
      const zip = Buffer.from((await t.client.DownloadCertificate({ CertificateId: id })).Content!, 'base64');
      await t.svc.core.services.certificates.settled();
      return zip;
    };

    test('a second download is byte-identical, and still verifies with openssl and keytool', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      assert.equal(await kept(id), undefined, 'nothing is built before the first download');
      const first = await download(id);
      const row = await kept(id);
      assert.ok(row, 'the first download is kept');
      const second = await download(id);
      assert.ok(first.equals(second), 'the same bytes again');
      const a = await verifyArchive(second, 2);
      assert.ok(a.password.length >= 12);
      // A one-type link (DescribeDownloadCertificateUrl) uses the certificate's same keystore password.
      const url = (await t.client.DescribeDownloadCertificateUrl({ CertificateId: id, ServiceType: 'iis' })).DownloadCertificateUrl!;
      const iis = Buffer.from(await (await fetch(url)).arrayBuffer());
      await withTempDir(async (dir) => {
        await writeFile(path.join(dir, 'i.zip'), iis);
        run('unzip', ['-q', path.join(dir, 'i.zip'), '-d', path.join(dir, 'x')]);
        assert.equal((await readFile(path.join(dir, 'x', `${D}_iis`, 'keystorePass.txt'), 'utf8')).trim(), a.password);
      });
    });

    test('kept sealed: neither the key, the password nor the archive is in the database in plaintext', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      const zip = await download(id);
      const { password } = await verifyArchive(zip, 2);
      const row = (await kept(id))!;
      assert.match(row.zip_sealed, /^v1:/);
      assert.match(row.password_sealed!, /^v1:/);
      const keyBody = ch.keyPem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
      const sealedBytes = Buffer.from(row.zip_sealed.slice(3), 'base64');
      assert.equal(sealedBytes.indexOf(Buffer.from('PK\x03\x04', 'latin1')), -1, 'no ZIP local header in the sealed value');
      assert.equal(sealedBytes.indexOf(zip.subarray(30, 94)), -1, 'no run of the archive in the sealed value');
      for (const v of [row.zip_sealed, row.password_sealed!, row.files, row.digest]) {
        assert.ok(!v.includes(password), 'no password');
        assert.ok(!v.includes(keyBody.slice(0, 64)), 'no key text');
      }
      if (backend === 'sqlite') {
        // The whole database file, WAL included: no line of the key, no password, no archive bytes.
        const dbFile = path.join(t.dataDir, 'certport.db');
        const raw = Buffer.concat([readFileSync(dbFile), ...['-wal'].map((s) => { try { return readFileSync(dbFile + s); } catch { return Buffer.alloc(0); } })]);
        for (const line of ch.keyPem.split('\n').filter((l) => l.length === 64)) assert.equal(raw.indexOf(line), -1, 'a line of the private key in the database file');
        assert.equal(raw.indexOf(password), -1, 'the keystore password in the database file');
        assert.equal(raw.indexOf(zip.subarray(30, 94)), -1, 'archive bytes in the database file');
      }
    });

    test('a change to the certificate builds it again with the same password; deleting the certificate deletes it', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      const first = await verifyArchive(await download(id), 2);
      assert.ok(!first.rootBundle.includes(ch.rootPem.split('\n')[1]!), 'no root yet');
      // The stored chain changes (as a reissue's new chain would): the kept archive no longer serves.
      await db().updateTable('certificate_material').set({ cert_pem: ch.leafPem + ch.intermediatePem + ch.rootPem, chain_facts: null, chain_root_pem: null })
        .where('cert_id', '=', id).execute();
      const again = await verifyArchive(await download(id), 3);
      assert.equal(again.password, first.password, 'the keystore password stays the certificate\'s');
      assert.ok(again.rootBundle.includes(ch.rootPem.split('\n')[1]!), 'the new chain is in the new archive');
      // A kept value that no longer opens (sealed under a key this node lacks) is built again, not an error.
      await db().updateTable('certificate_downloads').set({ zip_sealed: 'v1:' + Buffer.alloc(64, 7).toString('base64') }).where('cert_id', '=', id).execute();
      await verifyArchive(await download(id), 3);
      assert.notEqual((await kept(id))!.zip_sealed, 'v1:' + Buffer.alloc(64, 7).toString('base64'));
      assert.equal((await t.client.DeleteCertificate({ CertificateId: id })).DeleteResult, true);
      assert.equal(await kept(id), undefined, 'the kept archive goes with the certificate');
    });

    test('a row stored without chain facts (before 0026) gets them on first download, as the upload would have kept them', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.rootPem + ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      const facts = async () => (await db().selectFrom('certificate_material').select('chain_facts').where('cert_id', '=', id).executeTakeFirstOrThrow()).chain_facts;
      const atUpload = await facts();
      assert.deepEqual(JSON.parse(atUpload!), { v: 1, leaf: 1, intermediates: [2], roots: [0], leafCn: D, encryptSha1: null });
      await sql`update certificate_material set chain_facts = null where cert_id = ${id}`.execute(db());
      await verifyArchive(await download(id), 3);
      assert.equal(await facts(), atUpload, 'found on first read and kept');
      const detail = await t.client.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(detail.CertificatePublicKey, ch.rootPem + ch.leafPem + ch.intermediatePem, 'the chain comes back as uploaded');
    });
  });
}
