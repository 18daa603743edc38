// CAA (RFC 8659) against real DNS servers: BIND 9 serving zones with CAA records (flags,
// unknown tags, aliases), pebble-challtestsrv for SERVFAIL, and a socket that never answers.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { checkCaa, climb, parseIssueValue } from './caa.js';
import { startBind, startChallTestSrv, type Bind, type ChallTestSrv } from '../testing/dns-servers.js';

const US = 'certport.test';
let bind: Bind;
let cts: ChallTestSrv;

before(async () => {
  [bind, cts] = await Promise.all([
    startBind({
      'caa.test': [
        'allow IN CAA 0 issue "certport.test"',
        'deny IN CAA 0 issue "other-ca.example"',
        'iodefonly.deny IN CAA 0 iodef "mailto:caa@example.test"',
        'wild IN CAA 0 issue "other-ca.example"',
        'wild IN CAA 0 issuewild "certport.test"',
        'wildno IN CAA 0 issue "certport.test"',
        'wildno IN CAA 0 issuewild "other-ca.example"',
        'crit IN CAA 0 issue "certport.test"',
        'crit IN CAA 128 tbs "unknown"',
        'critbit1 IN CAA 0 issue "certport.test"',
        'critbit1 IN CAA 1 tbs "unknown"',
        'noncrit IN CAA 0 issue "certport.test"',
        'noncrit IN CAA 0 tbs "unknown"',
        'critiodef IN CAA 128 iodef "mailto:caa@example.test"',
        'critiodef IN CAA 0 issue "certport.test"',
        'tagcritical IN CAA 0 issue "certport.test"',
        'tagcritical IN CAA 0 critical "x"',
        'params IN CAA 0 issue "certport.test; key=value; other-key=x"',
        'acct IN CAA 0 issue "certport.test; accounturi=https://acme.example/acct/1"',
        'methods IN CAA 0 issue "certport.test; validationmethods=dns-01"',
        'malformed IN CAA 0 issue "certport.test; novalue"',
        'nobody IN CAA 0 issue ";"',
        'upper IN CAA 0 ISSUE "CertPort.Test"',
        'several IN CAA 0 issue "other-ca.example"',
        'several IN CAA 0 issue "certport.test"',
        'alias IN CNAME deny',
        'outside IN CNAME target.elsewhere.test.',
        'plain IN A 127.0.0.1',
      ].join('\n'),
      // BIND hands out a CNAME into another zone alone: the check follows it.
      'elsewhere.test': 'target IN CAA 0 issue "other-ca.example"',
    }),
    startChallTestSrv(),
  ]);
});
after(async () => {
  await Promise.all([bind?.stop(), cts?.stop()]);
});

const viaBind = (identities = [US]) => ({ resolvers: [bind.dns], identities, timeoutMs: 2000 });
const ok = async (name: string, identities = [US]) => {
  const r = await checkCaa([name], viaBind(identities));
  assert.equal(r.ok, true, `${name}: ${r.detail}`);
  return r.detail;
};
const refused = async (name: string, identities = [US]) => {
  const r = await checkCaa([name], viaBind(identities));
  assert.equal(r.ok, false, `${name} should be refused: ${r.detail}`);
  return r.detail;
};

describe('issue', () => {
  test('a record naming certport allows; one naming another CA forbids, saying which record', async () => {
    assert.equal(await ok('allow.caa.test'), 'allow.caa.test: CAA record for allow.caa.test authorizes certport.test');
    assert.equal(await refused('deny.caa.test'), 'CAA record for deny.caa.test does not authorize certport.test (issue "other-ca.example")');
    assert.equal(await refused('deny.caa.test', ['ca.one.test', US]),
      'CAA record for deny.caa.test does not authorize ca.one.test or certport.test (issue "other-ca.example")');
  });

  test('one record naming certport among several is enough; the issuer name is compared without regard to case, and so is the tag', async () => {
    await ok('several.caa.test');
    await ok('upper.caa.test');
  });

  test('no CAA record at any level allows', async () => {
    assert.equal(await ok('plain.caa.test'), 'plain.caa.test: no CAA records');
    assert.equal(await ok('nothing-here.caa.test'), 'nothing-here.caa.test: no CAA records');
  });

  test('parameters are parsed and ignored, except RFC 8657 ones certport cannot meet; a value off the grammar or naming no one forbids', async () => {
    await ok('params.caa.test');
    await refused('acct.caa.test');
    await refused('methods.caa.test');
    await refused('malformed.caa.test');
    await refused('nobody.caa.test');
  });
});

describe('the relevant record set (RFC 8659 section 3)', () => {
  test('a name without records takes its nearest parent\'s set', async () => {
    assert.equal(await ok('www.sub.allow.caa.test'), 'www.sub.allow.caa.test: CAA record for allow.caa.test authorizes certport.test');
    assert.equal(await refused('www.deny.caa.test'),
      'CAA record for deny.caa.test does not authorize certport.test to issue for www.deny.caa.test (issue "other-ca.example")');
  });

  test('the nearest non-empty set governs even when it restricts nothing (iodef only)', async () => {
    assert.equal(await ok('x.iodefonly.deny.caa.test'), 'x.iodefonly.deny.caa.test: CAA record for iodefonly.deny.caa.test does not restrict issuance');
  });

  test('an alias is followed, in its zone and into another one', async () => {
    assert.match(await refused('alias.caa.test'), /^CAA record for alias\.caa\.test does not authorize certport\.test \(issue "other-ca\.example"\)$/);
    assert.match(await refused('outside.caa.test'), /^CAA record for outside\.caa\.test does not authorize/);
  });

  test('names of one certificate are checked together; any refusal refuses them all', async () => {
    const r = await checkCaa(['allow.caa.test', 'www.allow.caa.test', 'deny.caa.test'], viaBind());
    assert.equal(r.ok, false);
    assert.equal(r.detail, 'CAA record for deny.caa.test does not authorize certport.test (issue "other-ca.example")');
    assert.equal((await checkCaa(['allow.caa.test', 'www.allow.caa.test', '*.allow.caa.test'], viaBind())).ok, true);
  });
});

describe('issuewild (RFC 8659 section 4.3)', () => {
  test('for a wildcard, issuewild replaces issue when present', async () => {
    await ok('*.wild.caa.test');
    await refused('*.wildno.caa.test');
  });

  test('for a name, issuewild is ignored', async () => {
    await refused('wild.caa.test');
    await ok('wildno.caa.test');
  });

  test('without issuewild a wildcard falls back to issue', async () => {
    await ok('*.allow.caa.test');
    assert.equal(await refused('*.deny.caa.test'), 'CAA record for deny.caa.test does not authorize certport.test to issue for *.deny.caa.test (issue "other-ca.example")');
  });
});

describe('the critical flag (RFC 8659 section 4.1)', () => {
  test('an unknown property marked critical forbids issuance even where issue names certport', async () => {
    assert.equal(await refused('crit.caa.test'),
      'CAA record for crit.caa.test has a critical property certport does not understand (tbs "unknown"), which forbids issuance');
    // Bit 1, which many zones set believing it is the critical bit, counts too (as in Boulder).
    await refused('critbit1.caa.test');
    // node reports a tag named "critical" in the flags' place: the flags are unknown, so it counts as critical.
    await refused('tagcritical.caa.test');
  });

  test('an unknown property not marked critical, and a known one marked critical, change nothing', async () => {
    await ok('noncrit.caa.test');
    await ok('critiodef.caa.test');
  });
});

describe('failed lookups refuse (Boulder)', () => {
  test('SERVFAIL at the name or at a parent below the relevant set refuses; one above it does not matter', async () => {
    await cts.setServfail('sf.caa-fail.test');
    await cts.addCaa('ok.sf.caa-fail.test', [{ tag: 'issue', value: US }]);
    const opts = { resolvers: [cts.dns], identities: [US], timeoutMs: 1000 };
    assert.deepEqual(await checkCaa(['sf.caa-fail.test'], opts),
      { ok: false, detail: 'CAA lookup for sf.caa-fail.test failed (ESERVFAIL); certport issues only on an answer' });
    assert.equal((await checkCaa(['www.sf.caa-fail.test'], opts)).ok, false);
    assert.deepEqual(await checkCaa(['ok.sf.caa-fail.test'], opts),
      { ok: true, detail: 'ok.sf.caa-fail.test: CAA record for ok.sf.caa-fail.test authorizes certport.test' });
  });

  test('a resolver that never answers refuses (timeout)', async () => {
    const silent: Socket = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const r = await checkCaa(['www.example.test'], { resolvers: [`127.0.0.1:${silent.address().port}`], identities: [US], timeoutMs: 200 });
      assert.equal(r.ok, false);
      assert.match(r.detail, /^CAA lookup for www\.example\.test failed \(ETIMEOUT\)/);
      assert.ok(Date.now() - started < 5000, 'levels are asked at once');
    } finally {
      silent.close();
    }
  });
});

describe('pieces', () => {
  test('climb: the name, then each parent down to the top-level domain', () => {
    assert.deepEqual(climb('a.b.example.com.'), ['a.b.example.com', 'b.example.com', 'example.com', 'com']);
  });

  test('parseIssueValue follows RFC 8659 section 4.2', () => {
    assert.deepEqual(parseIssueValue('ca.example'), { issuer: 'ca.example', parameters: new Map() });
    assert.deepEqual(parseIssueValue(' \tCA.Example ; '), { issuer: 'ca.example', parameters: new Map() });
    assert.deepEqual(parseIssueValue('ca.example; a=1;B = x=y'), { issuer: 'ca.example', parameters: new Map([['a', '1'], ['b', 'x=y']]) });
    assert.deepEqual(parseIssueValue(';'), { issuer: null, parameters: new Map() });
    assert.deepEqual(parseIssueValue(''), { issuer: null, parameters: new Map() });
    assert.deepEqual(parseIssueValue('; a=1'), { issuer: null, parameters: new Map([['a', '1']]) });
    for (const bad of ['ca.example;;', 'ca.example; a', 'ca.example; -a=1', 'ca.example; a=b c', 'ca..example', 'ca.example.', 'ca_example', 'ca.example; a=1;']) {
      assert.equal(parseIssueValue(bad), null, bad);
    }
  });
});
