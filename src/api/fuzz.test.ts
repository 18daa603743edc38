// Property-based fuzzing of every action's parameters (issue 22): fast-check builds requests
// from the SDK's request models with hostile values (control characters, Object built-in
// names, deep nesting, oversized arrays, wrong types) and sends them over TC3 and v1. Every
// answer must be a spec code other than InternalError, /healthz must keep answering, and a
// refused request must leave every stored row as it was.
// Size: CERTPORT_FUZZ_RUNS requests per database (default 150); CERTPORT_FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { actions } from '../actions/index.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';
import { changedTables, describeRequest, healthz, outcome, requestArb, rowSnapshotter, send, type FuzzSeeds } from '../testing/fuzz.js';
import { makeChain } from '../testing/pki-fixtures.js';

const RUNS = Number(process.env.CERTPORT_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.CERTPORT_FUZZ_SEED ?? 22);

for (const backend of BACKENDS) {
  describe(`fuzzed parameters of every action (${backend})`, () => {
    let t: TestService;
    const seeds: FuzzSeeds = { strings: [], numbers: [] };
    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_WORKERS: '0', CERTPORT_CAA: '0' } });
      // Records to aim at, so that some requests pass the lookups and reach the actions.
      const chain = await makeChain('EC', 'fuzz.example.com');
      const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem, Alias: 'fuzz' });
      const dv = await t.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'dv.fuzz.example.com', CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1' });
      const paid = await t.client.CreateCertificate({ ProductId: 33, DomainNum: 1, TimeSpan: 1 });
      seeds.strings.push(up.CertificateId!, dv.CertificateId!, ...(paid.CertificateIds ?? []), chain.leafPem, chain.csrPem, chain.keyPem);
    });
    after(async () => { await t.close(); });

    test(`${RUNS} requests (seed ${SEED}): no InternalError, /healthz answers, refused requests store nothing`, async () => {
      const rows = await rowSnapshotter(t);
      const byCode = new Map<string, number>();
      const problems: string[] = [];
      try {
        const requests = fc.sample(requestArb(Object.keys(actions), seeds), { numRuns: RUNS, seed: SEED });
        let last = await rows.snapshot();
        for (const [i, r] of requests.entries()) {
          const res = await send(t.port, t.cred, r);
          const code = outcome(res);
          byCode.set(code, (byCode.get(code) ?? 0) + 1);
          const now = await rows.snapshot();
          if (code === 'InternalError' || code.startsWith('http-') || code.startsWith('transport-') || code === 'not-json') {
            problems.push(`#${i} ${code}: ${describeRequest(r)}`);
          } else if (code !== 'ok') {
            const changed = changedTables(last, now);
            if (changed.length) problems.push(`#${i} ${code} changed ${changed.join(', ')}: ${describeRequest(r)}`);
          }
          last = now;
          if (i % 50 === 49 && (await healthz(t.port)) !== 200) problems.push(`#${i}: /healthz stopped answering`);
        }
        assert.equal(await healthz(t.port), 200);
      } finally {
        await rows.close();
        const tally = Object.fromEntries([...byCode].sort((a, b) => b[1] - a[1]));
        console.log(`fuzz ${backend}: ${RUNS} requests, seed ${SEED}:`, JSON.stringify(tally));
        if (process.env.CERTPORT_FUZZ_REPORT) {
          writeFileSync(`${process.env.CERTPORT_FUZZ_REPORT}.${backend}.json`, JSON.stringify({ backend, runs: RUNS, seed: SEED, byCode: tally, problems }, null, 1));
        }
      }
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
    });
  });
}
