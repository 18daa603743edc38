// Benchmark: the embedded CA signing through a PKCS#11 token (SoftHSM2) against the same CA
// with software keys (node:crypto), one thread: certificates issued per second from public
// keys (ApplyCertificate's path: the leaf built and signed) by the RSA-2048 and ECDSA P-256
// intermediates, and bare signatures per second over a leaf-sized TBSCertificate.
// A token of its own is made in a temp dir (SOFTHSM2_CONF), as src/ca/pkcs11/pkcs11.test.ts does.
//   node dist/bench/pkcs11.js     (CERTPORT_BENCH_SECONDS per figure, default 3)
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedIssuer } from '../src/ca/embedded/issuer.js';
import { caCertificates, createCaMaterial } from '../src/ca/embedded/material.js';
import { Pkcs11Token } from '../src/ca/pkcs11/token.js';
import { signerFor, type Signer } from '../src/pki/certificate-builder.js';
import { generateKeyPairAsync } from '../src/pki/keys.js';
import { machine } from './lib.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 3);
const MODULE = process.env.CERTPORT_CA_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';

function rate(fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm up
  let n = 0;
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  while (performance.now() < until) for (let i = 0; i < 10; i++, n++) fn();
  return n / ((performance.now() - t0) / 1000);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'certport-bench-pkcs11-'));
mkdirSync(path.join(work, 'tokens'));
writeFileSync(path.join(work, 'softhsm2.conf'), `directories.tokendir = ${path.join(work, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = path.join(work, 'softhsm2.conf');
execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', '1234', '--so-pin', '5678'], { stdio: 'pipe' });
const token = Pkcs11Token.open({ module: MODULE, slot: null, tokenLabel: 'bench', pin: '1234' });
try {
  console.log(`# ${machine()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${SECONDS} s per figure, one thread`);
  const root = token.generate('P-384', 'root');
  const rsa = token.generate('RSA-2048', 'rsa');
  const ec = token.generate('P-256', 'ec');
  const certs = caCertificates({ root: { spki: root.spki, signer: token.signer(root.ref) }, rsaSpki: rsa.spki, ecSpki: ec.spki });
  const hsm = new EmbeddedIssuer({ ...certs, rsaSigner: token.signer(rsa.ref), ecSigner: token.signer(ec.ref) }, { publicBaseUrl: 'https://certs.example.net' });
  const material = await createCaMaterial();
  const soft = new EmbeddedIssuer(material, { publicBaseUrl: 'https://certs.example.net' });
  const softSigners: Record<'RSA' | 'ECC', Signer> = {
    RSA: signerFor(createPrivateKey(material.rsaIntermediateKeyPem))!,
    ECC: signerFor(createPrivateKey(material.ecIntermediateKeyPem))!,
  };
  const hsmSigners: Record<'RSA' | 'ECC', Signer> = { RSA: token.signer(rsa.ref), ECC: token.signer(ec.ref) };
  const tbs = randomBytes(1000); // about a leaf's TBSCertificate
  console.log('| figure | software (node:crypto) | SoftHSM2 (PKCS#11) | token / software |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const kind of ['RSA', 'ECC'] as const) {
    const keys = await Promise.all(Array.from({ length: 16 }, () => (kind === 'RSA' ? generateKeyPairAsync('RSA', '2048') : generateKeyPairAsync('ECC', 'prime256v1'))));
    let i = 0;
    const issue = (issuer: EmbeddedIssuer) => () => {
      issuer.issueSync({ publicKeyPem: keys[i++ % keys.length]!.publicKeyPem, domains: [`b${i}.bench.example`], validityDays: 90 });
    };
    const label = kind === 'RSA' ? 'RSA-2048' : 'ECDSA P-256';
    const s1 = rate(() => softSigners[kind].sign(tbs));
    const h1 = rate(() => hsmSigners[kind].sign(tbs));
    console.log(`| ${label} signatures/s | ${s1.toFixed(0)} | ${h1.toFixed(0)} | ${(h1 / s1).toFixed(2)} |`);
    const s2 = rate(issue(soft));
    const h2 = rate(issue(hsm));
    console.log(`| ${label} certificates issued/s | ${s2.toFixed(0)} | ${h2.toFixed(0)} | ${(h2 / s2).toFixed(2)} |`);
  }
  console.log(`# load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  token.close();
  rmSync(work, { recursive: true, force: true });
}
