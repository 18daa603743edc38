// What an uploaded certificate carries, read once (issue 22): the chain and key parsed within
// the cost limits, and the facts later reads need kept as plain data, so that the reading can
// run on a worker thread (./cpu-pool.ts) and nothing re-parses the chain on every read.
import { Fault } from '../domain/errors.js';
import type { ChainFacts } from '../domain/certificate.js';
import {
  certificateFacts, chainFactsOf, isSm2Key, keyMatches, parseCertificateChain, parsePrivateKey, privateKeyToPem, selfSignedTop,
  type CertificateFacts, type ParsedCertificate,
} from './certificate.js';
import { UPLOAD_LIMITS, checkChainLength, checkKeyBits, checkPemSize } from './limits.js';

export interface UploadFacts {
  leaf: CertificateFacts;
  /** The rest, from the leaf's issuer upwards where the links are present. */
  chain: CertificateFacts[];
  /** The top of the chain when it is a self-signed root, '' when there is none (RootCert.Standard). */
  rootPem: string;
  /** The private key, when one was given. */
  key: {
    isSm2: boolean;
    /** It belongs to the leaf's public key. */
    matches: boolean;
    /** PKCS#8 PEM, unencrypted: what is kept of a key uploaded encrypted. */
    pkcs8Pem: string;
  } | null;
  /** What reads need of the chain, kept with it (issue 27: reads never parse it again). */
  chainFacts: ChainFacts;
}

export interface UploadText {
  publicKey: string;
  /** Read only when given; an empty string counts as not given. */
  privateKey?: string;
  keyPassword?: string;
}

function checkCertificate(c: ParsedCertificate, i: number): void {
  const what = i === 0 ? 'The certificate' : `Certificate ${i + 1} of the chain ("${c.subjectCn || c.subject}")`;
  if (c.sanCount > UPLOAD_LIMITS.subjectAltNames) {
    throw new Fault('invalidValue', `${what} names ${c.sanCount} subject alternative names; certport accepts at most ${UPLOAD_LIMITS.subjectAltNames}.`);
  }
  checkKeyBits(c.publicKey?.asymmetricKeyType, c.publicKey?.asymmetricKeyDetails?.modulusLength, `${what}'s public key`);
}

/**
 * Reads an upload within UPLOAD_LIMITS: sizes and the number of certificates are checked before
 * anything is decoded; names and keys before the key is matched. Throws Faults.
 */
export function readUpload(input: UploadText): UploadFacts {
  if (typeof input.publicKey === 'string') {
    checkPemSize(input.publicKey, UPLOAD_LIMITS.certificatePem, 'CertificatePublicKey');
    checkChainLength(input.publicKey);
  }
  const parsed = parseCertificateChain(input.publicKey);
  [parsed.leaf, ...parsed.chain].forEach(checkCertificate);
  let key: UploadFacts['key'] = null;
  if (input.privateKey && input.privateKey.trim()) {
    checkPemSize(input.privateKey, UPLOAD_LIMITS.privateKeyPem, 'CertificatePrivateKey');
    const k = parsePrivateKey(input.privateKey, input.keyPassword);
    checkKeyBits(k.asymmetricKeyType, k.asymmetricKeyDetails?.modulusLength, 'The private key');
    key = { isSm2: isSm2Key(k), matches: keyMatches(parsed.leaf, k), pkcs8Pem: privateKeyToPem(k) };
  }
  return { leaf: certificateFacts(parsed.leaf), chain: parsed.chain.map(certificateFacts), rootPem: selfSignedTop(parsed) ?? '', key, chainFacts: chainFactsOf(input.publicKey, null, parsed) };
}
