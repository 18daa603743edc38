// The ZIP that DownloadCertificate returns, in both generations of Tencent's layout
// (scripts unzip it and read fixed names). No I/O: returns the archive as a Buffer.
// Synchronous work only (a worker of the CPU pool runs it): the key is parsed once and the
// certificates decoded once for both keystores, and ./zip.ts writes the archive in one go.
import { createPrivateKey } from 'node:crypto';
import * as der from './der.js';
import { decodeName } from './names.js';
import { OID } from './oids.js';
import { Fault } from '../domain/errors.js';
import { buildPfxDer, derivePfxSecrets, generatedKeystoreSecrets } from './pfx.js';
import { buildJksDer } from './jks.js';
import { firstPemDer } from './pem.js';
import { zipSync, type ZipEntry } from './zip.js';
import { chainFactsOf, storedChainParts } from './certificate.js';
import type { ChainFacts } from '../domain/certificate.js';
import { fileDomain, type DownloadServiceType } from './download-names.js';

export { DOWNLOAD_SERVICE_TYPES, fileDomain, type DownloadServiceType } from './download-names.js';

export interface DownloadBundleInput {
  domain: string;
  leafPem: string;
  /** intermediates, leaf-to-root order, may be empty */
  chainPems: string[];
  rootPems?: string[];
  keyPem?: string | null;
  csrPem?: string | null;
  password?: string | null;
  /** SM2 (GM/T) double certificates: the encryption certificate (PEM, with its chain) and its key. */
  encryptCertPem?: string | null;
  encryptKeyPem?: string | null;
  /** Only one server type's folders (DescribeDownloadCertificateUrl's ServiceType), both layouts. */
  only?: DownloadServiceType;
  /** ZIP entries' modification time (ms since the epoch); now when absent. */
  mtime?: number;
}


export interface DownloadBundle {
  zip: Buffer;
  /** keystore password (also in every keystorePass.txt); null when no keystore was built */
  password: string | null;
  /** archive entry names, in order */
  files: string[];
}

/** SupportDownloadType of DescribeCertificates. */
export interface SupportDownloadType {
  NGINX: boolean;
  APACHE: boolean;
  IIS: boolean;
  TOMCAT: boolean;
  JKS: boolean;
  OTHER: boolean;
  ROOT: boolean;
}

/**
 * Which download formats a certificate supports. Keystore formats (IIS = PFX, TOMCAT,
 * JKS) need the private key and a server certificate; SM2 keys are excluded from them
 * because PFX/JKS tooling (IIS, keytool) does not handle SM2.
 */
export function downloadFormats(hasKey: boolean, isCa: boolean, isSm: boolean): SupportDownloadType {
  const keystores = hasKey && !isCa && !isSm;
  return { NGINX: true, APACHE: true, IIS: keystores, TOMCAT: keystores, JKS: keystores, OTHER: true, ROOT: true };
}

/** LF line endings, exactly one trailing newline. */
function pemText(pem: string): string {
  return pem.replace(/\r\n?/g, '\n').trim() + '\n';
}
const concatPems = (pems: string[]) => pems.map(pemText).join('');

/** DER of OID 1.2.156.10197.1.301 (SM2 curve), as it appears in PKCS#8 and SEC1 keys. */
const SM2_CURVE_OID_DER = Buffer.from('06082a811ccf5501822d', 'hex');
/**
 * True for an SM2 private key. Looks for the curve OID in the key's DER, because
 * node 20 reports neither type nor curve for a re-imported SM2 key.
 */
function isSm2Key(keyPem: string): boolean {
  for (const m of keyPem.matchAll(/-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END /g)) {
    const b64 = m[1].split('\n').filter((l) => !l.includes(':')).join('');
    if (Buffer.from(b64, 'base64').includes(SM2_CURVE_OID_DER)) return true;
  }
  return false;
}

/** A file name for a CA certificate in `<d>_root/`, from its CN (or O), unique within the folder. */
function caFileNames(pems: string[]): string[] {
  const used = new Set<string>(['root_bundle']);
  return pems.map((pem, i) => {
    let base = '';
    try {
      // The subject read straight from the DER (a full X.509 parse per CA was a tenth of a build).
      const buf = firstPemDer(pem, ['CERTIFICATE'])!.der;
      const tbs = der.children(buf, der.children(buf, der.readNode(buf))[0]!);
      const subject = decodeName(buf, tbs[tbs[0]!.tag === 0xa0 ? 5 : 4]!);
      const attr = (oid: string) => subject.find((a) => a.type === oid)?.value ?? '';
      base = (attr(OID.commonName) || attr(OID.organizationName)).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|[._]+$/g, '');
    } catch { /* leave base empty */ }
    if (!base) base = `ca_${i + 1}`;
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    used.add(name.toLowerCase());
    return `${name}.crt`;
  });
}

export async function buildDownloadZip(input: DownloadBundleInput): Promise<DownloadBundle> {
  const d = fileDomain(input.domain);
  const leaf = pemText(input.leafPem);
  const chain = input.chainPems.map(pemText);
  const roots = (input.rootPems ?? []).map(pemText);
  const key = input.keyPem && input.keyPem.trim() ? pemText(input.keyPem) : null;
  const csr = input.csrPem && input.csrPem.trim() ? pemText(input.csrPem) : null;

  const bundle = leaf + concatPems(chain);
  const rootBundle = concatPems([...chain, ...roots]);
  const withKeystores = key !== null && !isSm2Key(key);
  // A password made up here comes with its PFX key derivations done ahead of time (pfx.ts).
  const secrets = !withKeystores ? null : input.password ? derivePfxSecrets(input.password) : generatedKeystoreSecrets();
  const password = secrets?.password ?? null;

  let pfx: Buffer | null = null;
  let jks: Buffer | null = null;
  if (secrets && password !== null && key !== null) {
    const certDers = [leaf, ...chain, ...roots].map((pem) => {
      const block = firstPemDer(pem, ['CERTIFICATE']);
      if (!block) throw new Fault('unparsable', 'A certificate of the chain is not a PEM certificate.');
      return block.der;
    });
    const pkcs8 = createPrivateKey(key).export({ type: 'pkcs8', format: 'der' });
    pfx = buildPfxDer({ pkcs8, certDers, password, friendlyName: d, secrets });
    jks = buildJksDer({ pkcs8, certDers, password, alias: d });
  }

  const entries: [string, string | Buffer][] = [];
  // null (no key / no keystore) and empty (no intermediates) files are left out.
  const add = (name: string, content: string | Buffer | null) => { if (content !== null && content.length > 0) entries.push([name, content]); };

  // Older layout.
  add(`Nginx/1_${d}_bundle.crt`, bundle);
  add(`Nginx/2_${d}.key`, key);
  add(`Apache/1_root_bundle.crt`, rootBundle);
  add(`Apache/2_${d}.crt`, leaf);
  add(`Apache/3_${d}.key`, key);
  add(`IIS/${d}.pfx`, pfx);
  add(`IIS/keystorePass.txt`, pfx && password);
  add(`Tomcat/${d}.jks`, jks);
  add(`Tomcat/keystorePass.txt`, jks && password);
  add(`${d}.csr`, csr);

  // Newer layout.
  add(`${d}_nginx/${d}_bundle.crt`, bundle);
  add(`${d}_nginx/${d}_bundle.pem`, bundle);
  add(`${d}_nginx/${d}.key`, key);
  add(`${d}_nginx/${d}.csr`, csr);
  add(`${d}_apache/root_bundle.crt`, rootBundle);
  add(`${d}_apache/${d}.crt`, leaf);
  add(`${d}_apache/${d}.key`, key);
  add(`${d}_iis/${d}.pfx`, pfx);
  add(`${d}_iis/keystorePass.txt`, pfx && password);
  // Newer Tencent tomcat folders hold a PFX; older ones (and many scripts) expect a JKS: ship both.
  add(`${d}_tomcat/${d}.jks`, jks);
  add(`${d}_tomcat/${d}.pfx`, pfx);
  add(`${d}_tomcat/keystorePass.txt`, jks && password);
  add(`${d}_jks/${d}.jks`, jks);
  add(`${d}_jks/keystorePass.txt`, jks && password);
  const caPems = [...chain, ...roots];
  caFileNames(caPems).forEach((name, i) => add(`${d}_root/${name}`, caPems[i]));
  add(`${d}_root/root_bundle.crt`, rootBundle);
  add(`${d}_other/${d}.crt`, leaf);
  add(`${d}_other/${d}_chain.crt`, concatPems(chain));
  add(`${d}_other/${d}_fullchain.pem`, bundle);
  add(`${d}_other/${d}.key`, key);
  // SM2 double certificates: the encryption pair beside the signing pair, named the way
  // Tongsuo/GmSSL servers take them (sign + enc), in the nginx and other folders.
  const enc = input.encryptCertPem && input.encryptCertPem.trim() ? pemText(input.encryptCertPem) : null;
  const encKey = enc && input.encryptKeyPem && input.encryptKeyPem.trim() ? pemText(input.encryptKeyPem) : null;
  add(`${d}_nginx/${d}_enc_bundle.crt`, enc);
  add(`${d}_nginx/${d}_enc.key`, encKey);
  add(`${d}_other/${d}_enc.crt`, enc);
  add(`${d}_other/${d}_enc.key`, encKey);

  const keep = (name: string) => {
    if (!input.only) return true;
    const top = name.includes('/') ? name.slice(0, name.indexOf('/')) : '';
    return top.toLowerCase() === input.only || top === `${d}_${input.only}`;
  };
  const kept = entries.filter(([name]) => keep(name));
  // One Buffer per distinct text, so that zipSync deflates each content once.
  const bytes = new Map<string, Buffer>();
  const zipEntries: ZipEntry[] = kept.map(([name, content]) => {
    let data: Buffer;
    if (typeof content === 'string') {
      data = bytes.get(content) ?? Buffer.from(content, 'utf8');
      bytes.set(content, data);
    } else data = content;
    const isKeyMaterial = /\.(key|pfx|jks)$|keystorePass\.txt$/.test(name);
    // Keystores are encrypted: deflate would spend time to find nothing to shrink.
    return { name, data, mode: isKeyMaterial ? 0o100600 : 0o100644, compress: typeof content === 'string' };
  });
  const out = zipSync(zipEntries, new Date(input.mtime ?? Date.now()));
  return { zip: out, password, files: kept.map(([n]) => n) };
}

/** A stored certificate's ZIP: its PEM split into leaf, chain and roots, then packaged. */
export interface StoredDownloadInput extends Omit<DownloadBundleInput, 'leafPem' | 'chainPems' | 'rootPems' | 'domain'> {
  /** The stored PEM (leaf and chain, in any order). */
  certPem: string;
  /** The issuing CA's root when certport knows it; else the chain's self-signed certificates. */
  issuerRootPem: string | null;
  /** The certificate's domain; the leaf's CN, then `fallbackName`, when it is empty. */
  domain: string;
  fallbackName: string;
  /** The chain's facts when kept (then nothing is parsed); else found here and returned to be kept. */
  facts?: ChainFacts | null;
  /** ZIP entries' modification time (ms): a rebuild of a kept download keeps its time. */
  mtime?: number;
}

export async function buildStoredDownloadZip(input: StoredDownloadInput): Promise<DownloadBundle & { facts: ChainFacts }> {
  const { certPem, issuerRootPem, domain, fallbackName, facts: kept, ...rest } = input;
  const facts = kept ?? chainFactsOf(certPem, rest.encryptCertPem ?? null);
  const { leafPem, leafCn, intermediatePems, rootPems } = storedChainParts(certPem, facts);
  const bundle = await buildDownloadZip({
    ...rest,
    domain: domain || leafCn || fallbackName,
    leafPem,
    chainPems: intermediatePems,
    rootPems: issuerRootPem ? [issuerRootPem] : rootPems,
  });
  return { ...bundle, facts };
}
