// CAA (RFC 8659) before certport's own CA signs, end to end through the official SDK:
// pebble-challtestsrv serves the _dnsauth TXT records and the names' CAA records; an order the
// records forbid ends at status 2 with the reason, one they allow is issued. An upstream ACME
// CA (Pebble) is left to check CAA itself.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startFileServer, validationEnv, waitFor, type FileServer } from '../testing/dv.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';
import { startPebble, type Pebble } from '../testing/pebble.js';

const US = 'ca.certport.test';
const uniq = () => randomBytes(3).toString('hex');

let dns: ChallTestSrv;
let web: FileServer;
before(async () => {
  [dns, web] = await Promise.all([startChallTestSrv(), startFileServer()]);
});
after(async () => {
  await Promise.all([dns?.stop(), web?.stop()]);
});

/** ApplyCertificate by DNS, the TXT record published at once; the settled order. */
async function applyAndSettle(c: SslClient, domain: string) {
  const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
  const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
  await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
  return { id: id!, settled: await waitFor(c, id!, (d) => d.Status === 1 || d.Status === 2) };
}

describe(`ApplyCertificate with CAA records, the embedded CA (${BACKENDS[0]})`, () => {
  let t: TestService;
  let c: SslClient;
  before(async () => {
    t = await startTestService(BACKENDS[0]!, { env: { ...validationEnv(dns.dns, web), CERTPORT_CAA_IDENTITIES: US } });
    c = t.client;
  });
  after(async () => { await t?.close(); });

  test('CAA naming another CA only: validation passes, then the order ends at status 2 with the reason, logged', async () => {
    const domain = `deny-${uniq()}.example.test`;
    await dns.addCaa(domain, [{ tag: 'issue', value: 'other-ca.example' }]);
    const { id, settled } = await applyAndSettle(c, domain);
    const reason = `CAA record for ${domain} does not authorize ${US} (issue "other-ca.example")`;
    assert.equal(settled.Status, 2);
    assert.equal(settled.StatusMsg, reason);
    const listed = (await c.DescribeCertificates({ CertIds: [id] })).Certificates![0]!;
    assert.equal(listed.Status, 2);
    assert.equal(listed.StatusMsg, reason);
    assert.equal((await c.DescribeCertificateDetail({ CertificateId: id })).CertificatePublicKey, null, 'nothing was signed');
    const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id);
    const failed = logs.find((l) => l.Type === 'failed');
    assert.ok(failed?.Action?.endsWith(`: ${reason}`), JSON.stringify(logs));
    assert.ok(!logs.some((l) => l.Type === 'issued'));
  });

  test('CAA naming certport: issued', async () => {
    const domain = `allow-${uniq()}.example.test`;
    await dns.addCaa(domain, [{ tag: 'issue', value: 'other-ca.example' }, { tag: 'issue', value: `${US}; note=ours` }]);
    const { settled } = await applyAndSettle(c, domain);
    assert.equal(settled.Status, 1, String(settled.StatusMsg));
    assert.equal(settled.StatusMsg, null);
  });

  test('the parent\'s records govern a name without its own; a wildcard follows issuewild', async () => {
    const parent = `zone-${uniq()}.example.test`;
    await dns.addCaa(parent, [{ tag: 'issue', value: 'other-ca.example' }, { tag: 'issuewild', value: US }]);
    const www = await applyAndSettle(c, `www.${parent}`);
    assert.equal(www.settled.Status, 2);
    assert.equal(www.settled.StatusMsg, `CAA record for ${parent} does not authorize ${US} to issue for www.${parent} (issue "other-ca.example")`);
    const wild = await applyAndSettle(c, `*.${parent}`);
    assert.equal(wild.settled.Status, 1, String(wild.settled.StatusMsg));
  });

  test('a CAA lookup that fails (SERVFAIL) refuses', async () => {
    const domain = `servfail-${uniq()}.example.test`;
    await dns.setServfail(domain);
    const { settled } = await applyAndSettle(c, domain);
    assert.equal(settled.Status, 2);
    assert.equal(settled.StatusMsg, `CAA lookup for ${domain} failed (ESERVFAIL); certport issues only on an answer`);
  });
});

describe('CERTPORT_CAA=0', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService(BACKENDS[0]!, { env: { ...validationEnv(dns.dns, web), CERTPORT_CAA: '0' } });
  });
  after(async () => { await t?.close(); });

  test('turns the check off: a name whose CAA names another CA is issued', async () => {
    const domain = `off-${uniq()}.example.test`;
    await dns.addCaa(domain, [{ tag: 'issue', value: 'other-ca.example' }]);
    const { settled } = await applyAndSettle(t.client, domain);
    assert.equal(settled.Status, 1, String(settled.StatusMsg));
  });
});

describe('an upstream ACME CA checks CAA itself', () => {
  let pebble: Pebble;
  let t: TestService;
  before(async () => {
    pebble = await startPebble({ dnsServer: dns.dns, httpPort: web.port });
    t = await startTestService(BACKENDS[0]!, {
      env: { CERTPORT_ACME_DIRECTORY_URL: pebble.directoryUrl, CERTPORT_ACME_CA_FILE: pebble.tlsCaFile, CERTPORT_CAA_IDENTITIES: US, ...validationEnv(dns.dns, web) },
    });
  });
  after(async () => {
    await t?.close();
    await pebble?.dispose();
  });

  test('certport does not refuse for the names\' CAA: the order goes to the CA, which issues (Pebble checks no CAA)', async () => {
    const domain = `acme-${uniq()}.example.test`;
    await dns.addCaa(domain, [{ tag: 'issue', value: 'other-ca.example' }]);
    const { CertificateId: id } = await t.client.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: domain });
    const a = (await t.client.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
    web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue!);
    const settled = await waitFor(t.client, id!, (d) => d.Status === 1 || d.Status === 2);
    assert.equal(settled.From, 'acme');
    assert.equal(settled.Status, 1, String(settled.StatusMsg));
  });
});
