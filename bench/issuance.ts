// Benchmark: issuance by the embedded CA. Certificates per second signed from ready CSRs (the
// CSR's signature checked, the leaf built and signed) by the ECDSA P-256 and RSA-2048 issuing
// intermediates, on one thread and on worker threads across every core, beside the machine's
// limits measured in the same run: `openssl speed` ECDSA P-256 / RSA-2048 sign rates (one
// process and -multi <cores>) and plain node:crypto.sign with the same keys.
//   node dist/bench/issuance.js     (CERTPORT_BENCH_SECONDS per figure, default 3)
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EmbeddedIssuer, buildCsr, createCaMaterial, generateKeyPairAsync, type CaMaterial } from '../src/ca/embedded.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 3);

interface Job {
  material: CaMaterial;
  /** 'csr' | 'key': issue from CSRs or from public keys (ApplyCertificate's path); 'sign': node:crypto.sign only. */
  mode: 'csr' | 'key' | 'sign';
  kind: 'ECC' | 'RSA';
  inputs: { csrPem: string; publicKeyPem: string; domain: string }[];
  seconds: number;
}

/** Runs `job` for its duration on this thread; returns operations per second. */
function run(job: Job): { rate: number; sample: string | null } {
  const issuer = new EmbeddedIssuer(job.material, { publicBaseUrl: 'https://certs.example.net' });
  const key = createPrivateKey(job.kind === 'ECC' ? job.material.ecIntermediateKeyPem : job.material.rsaIntermediateKeyPem);
  const tbs = randomBytes(1000); // about a leaf's TBSCertificate
  let n = 0;
  let sample: string | null = null;
  const t0 = performance.now();
  const until = t0 + job.seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++, n++) {
      const input = job.inputs[n % job.inputs.length]!;
      if (job.mode === 'sign') {
        sign('sha256', tbs, key);
      } else {
        const issued = issuer.issueSync(job.mode === 'csr'
          ? { csrPem: input.csrPem, domains: [input.domain], validityDays: 90 }
          : { publicKeyPem: input.publicKeyPem, domains: [input.domain], validityDays: 90 });
        sample ??= issued.certPem;
      }
    }
  }
  return { rate: n / ((performance.now() - t0) / 1000), sample };
}

if (!isMainThread) {
  // A worker: runs its job when the main thread says go (so that all start together).
  const job = workerData as Job;
  parentPort!.once('message', () => parentPort!.postMessage(run(job)));
} else {
  const threads = os.cpus().length;
  const fmt = (n: number) => n.toFixed(0).padStart(7) + '/s';
  console.log(`Issuance by the embedded CA — ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}; ${SECONDS} s per figure`);

  const speed = async (multi: number) => {
    const args = ['speed', '-seconds', String(SECONDS), ...(multi > 1 ? ['-multi', String(multi)] : []), 'ecdsap256', 'rsa2048'];
    const { stdout } = await promisify(execFile)('openssl', args, { maxBuffer: 1 << 20 });
    const rsa = /^rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)/m.exec(stdout);
    const ec = /256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)/m.exec(stdout);
    if (!rsa || !ec) throw new Error(`cannot read openssl speed:\n${stdout}`);
    return { ec: Number(ec[1]), rsa: Number(rsa[1]) };
  };
  const { stdout: version } = await promisify(execFile)('openssl', ['version']);
  const ossl1 = await speed(1);
  const osslN = await speed(threads);

  const material = await createCaMaterial();
  const inputsOf = async (kind: 'ECC' | 'RSA', count: number) => Promise.all(Array.from({ length: count }, async (_, i) => {
    const keys = await generateKeyPairAsync(kind, kind === 'ECC' ? 'prime256v1' : '2048');
    const domain = `host${i}.bench.example.com`;
    return { csrPem: await buildCsr(keys.privateKeyPem, [domain]), publicKeyPem: keys.publicKeyPem, domain };
  }));
  const inputs = { ECC: await inputsOf('ECC', 200), RSA: await inputsOf('RSA', 40) };

  const onThreads = async (job: Omit<Job, 'seconds'>, count: number) => {
    const workers = Array.from({ length: count }, () => new Worker(new URL(import.meta.url), { workerData: { ...job, seconds: SECONDS } }));
    await new Promise((r) => setTimeout(r, 300)); // let them load
    const results = await Promise.all(workers.map((w) => new Promise<{ rate: number }>((ok, fail) => {
      w.once('message', ok);
      w.once('error', fail);
      w.postMessage('go');
    })));
    await Promise.all(workers.map((w) => w.terminate()));
    return results.reduce((a, r) => a + r.rate, 0);
  };

  const rows: { name: string; one: number; many: number; of?: number }[] = [];
  for (const kind of ['ECC', 'RSA'] as const) {
    const label = kind === 'ECC' ? 'ECDSA P-256' : 'RSA-2048';
    const base = { material, kind, inputs: inputs[kind] };
    rows.push({ name: `openssl speed ${label} sign`, one: kind === 'ECC' ? ossl1.ec : ossl1.rsa, many: kind === 'ECC' ? osslN.ec : osslN.rsa });
    rows.push({ name: `node:crypto.sign ${label} (1 KB)`, one: run({ ...base, mode: 'sign', seconds: SECONDS }).rate, many: await onThreads({ ...base, mode: 'sign' }, threads) });
    const fromCsr = run({ ...base, mode: 'csr', seconds: SECONDS });
    // The issued leaf is a real certificate: signed by the intermediate, for the name asked.
    const leaf = new X509Certificate(fromCsr.sample!);
    const inter = createPublicKey(kind === 'ECC' ? material.ecIntermediateCertPem : material.rsaIntermediateCertPem);
    if (!leaf.verify(inter) || !leaf.checkHost('host0.bench.example.com')) throw new Error(`the ${kind} leaf does not verify`);
    rows.push({ name: `certport: leaf from a CSR (${kind === 'ECC' ? 'EC' : 'RSA'} intermediate)`, one: fromCsr.rate, many: await onThreads({ ...base, mode: 'csr' }, threads), of: rows.length - 2 });
    rows.push({ name: `certport: leaf from a public key (${kind === 'ECC' ? 'EC' : 'RSA'} interm.)`, one: run({ ...base, mode: 'key', seconds: SECONDS }).rate, many: await onThreads({ ...base, mode: 'key' }, threads), of: rows.length - 3 });
  }
  console.log(`${version.trim()}; leaves: 90 days, one SAN, AIA, policies (what ApplyCertificate issues); CSRs: 200 EC P-256, 40 RSA-2048 keys`);
  console.log(`${''.padEnd(50)} ${'1 thread'.padStart(9)} ${(threads + ' threads').padStart(10)}   share of openssl (1 / ${threads})`);
  for (const r of rows) {
    const ref = r.of === undefined ? null : rows[r.of]!;
    const share = ref ? `${(100 * r.one / ref.one).toFixed(0).padStart(3)}% / ${(100 * r.many / ref.many).toFixed(0).padStart(3)}%` : '';
    console.log(`  ${r.name.padEnd(48)} ${fmt(r.one)} ${fmt(r.many).padStart(10)}   ${share}`);
  }
  const ec = rows.find((r) => r.name.startsWith('certport: leaf from a CSR (EC'))!;
  const ok = ec.many >= 0.25 * ossl1.ec;
  console.log(`target: ≥ 25% of the OpenSSL ECDSA sign rate (${ossl1.ec.toFixed(0)}/s on one core): certport EC from CSRs ${ec.many.toFixed(0)}/s on ${threads} threads = ${(100 * ec.many / ossl1.ec).toFixed(0)}% — ${ok ? 'met' : 'MISSED'}`);
}
