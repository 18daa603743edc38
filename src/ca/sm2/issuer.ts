// The embedded CA's SM2 side (Chinese commercial cryptography, GM/T): SM2 leaf certificates
// (signing and encryption certificates of the GM "double certificate" pair) signed
// SM2-with-SM3 by an SM2 intermediate under an SM2 root. The signing itself (and why it goes
// through sm-crypto with the GM/T 0009 signer ID) is pki/sm2.ts; the DER, like the RSA/ECDSA
// CA's, is pki/certificate-builder.ts, and the policy (validity, names) ../local.ts.
import { randomBytes } from 'node:crypto';
import { Fault } from '../../domain/errors.js';
import {
  buildCertificate, extension, newSerial, policyExtension, sanExtension, serverClientEku, sm2Signer, type Signer,
} from '../../pki/certificate-builder.js';
import { verifySm2Csr } from '../../pki/csr-parse.js';
import * as der from '../../pki/der.js';
import { keyIdentifier } from '../../pki/keys.js';
import { checkedNames, commonNameFor, encodeName } from '../../pki/names.js';
import { KEY_USAGE, OID } from '../../pki/oids.js';
import { pemDer, toPem } from '../../pki/pem.js';
import { sm2PrivateKey, sm2PublicKey, sm2PublicKeyFromPem, verifySm2Certificate } from '../../pki/sm2.js';
import { readCertificate, type CertificateFields } from '../../pki/x509.js';
import { crlDistributionPoint, leafAuthorityInfoAccess, type IssuedCertificate, type IssueRequest, type SigningCa } from '../issuer.js';
import { checkValidityDays, leafValidity, LocalIssuer, type LocalIssuerOptions } from '../local.js';
import { SM2_INTERMEDIATE_FILE, type Sm2CaMaterial } from './material.js';

/** 'sign': the signing certificate of a GM double-certificate pair (the default); 'encrypt': its encryption certificate. */
export type Sm2Usage = NonNullable<IssueRequest['usage']>;

export class Sm2Issuer extends LocalIssuer {
  readonly name = 'embedded-sm2';
  readonly keyAlgorithms = ['SM2'] as const;
  readonly rootPem: string;
  readonly #intermediatePem: string;
  readonly #subjectName: Buffer;
  readonly #ski: Buffer;
  readonly #notAfter: Date;
  readonly #signer: Signer;
  readonly #aia: Buffer | null;
  readonly #crlDp: Buffer | null;
  readonly #random: (bytes: number) => Buffer;
  readonly #signing: SigningCa;
  readonly #policies = policyExtension(OID.domainValidated);
  readonly #eku = serverClientEku();
  readonly #leafBasicConstraints = extension(OID.basicConstraints, true, der.seq());

  constructor(material: Sm2CaMaterial, opts: LocalIssuerOptions = {}) {
    super(opts);
    this.rootPem = toPem('CERTIFICATE', pemDer(material.rootCertPem, 'CERTIFICATE'));
    this.#intermediatePem = toPem('CERTIFICATE', pemDer(material.intermediateCertPem, 'CERTIFICATE'));
    let cert: CertificateFields;
    try {
      cert = readCertificate(pemDer(this.#intermediatePem, 'CERTIFICATE'));
    } catch (e) {
      throw new Fault('malformed', `The SM2 intermediate cannot be parsed: ${(e as Error).message}`);
    }
    const spki = sm2PublicKey(cert.spki, 'The SM2 intermediate key');
    const key = sm2PrivateKey(material.intermediateKeyPem, 'The SM2 intermediate private key');
    if (!key.xy.equals(spki.xy)) throw new Fault('mismatch', "The SM2 intermediate's private key does not match its certificate.");
    if (!verifySm2Certificate(this.#intermediatePem, this.rootPem)) {
      throw new Fault('mismatch', 'The SM2 intermediate is not signed by the SM2 root (SM2-with-SM3, ID 1234567812345678).');
    }
    this.#signer = sm2Signer(key);
    this.#subjectName = cert.subjectName;
    this.#ski = cert.ski ?? keyIdentifier(spki.spki);
    this.#notAfter = cert.notAfter;
    this.#aia = leafAuthorityInfoAccess(opts.publicBaseUrl, SM2_INTERMEDIATE_FILE);
    this.#crlDp = crlDistributionPoint(opts.publicBaseUrl, 'sm2');
    this.#random = opts.random ?? randomBytes;
    this.#signing = { name: 'sm2', certPem: this.#intermediatePem, subjectName: cert.subjectName, spki: spki.spki, keyId: this.#ski, notAfter: cert.notAfter, signer: this.#signer };
  }

  signingCas(): SigningCa[] {
    return [this.#signing];
  }

  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    return this.issueSync(req);
  }

  /** The same as issue(); synchronous because signing is CPU-bound. */
  issueSync(req: IssueRequest): IssuedCertificate {
    const { domains, ips } = checkedNames(req.domains, req.ipAddresses);
    checkValidityDays(req.validityDays);
    const usage = req.usage ?? 'sign';
    if (usage !== 'sign' && usage !== 'encrypt') throw new Fault('invalidValue', `usage must be "sign" or "encrypt", not ${JSON.stringify(usage)}.`);
    const spki = req.csrPem ? verifySm2Csr(req.csrPem).spki : sm2PublicKeyFromPem(req.publicKeyPem);
    const { notBefore, notAfter } = leafValidity(this.clock(), req.validityDays, this.#notAfter, 'SM2');
    const serial = newSerial(this.#random);
    // A first name too long for the CN goes only into the SAN, and an empty subject makes the
    // SAN critical (RFC 5280 4.2.1.6). Addresses alone: the first one is the CN.
    const cn = domains.length ? commonNameFor(domains) : ips[0]!.text;
    const certDer = buildCertificate({
      serial: serial.der,
      issuerName: this.#subjectName,
      subjectName: cn === null ? der.seq() : encodeName([[OID.commonName, cn]]),
      notBefore,
      notAfter,
      spki,
      signer: this.#signer,
      extensions: [
        extension(OID.keyUsage, true, usage === 'sign' ? KEY_USAGE.sm2Sign : KEY_USAGE.sm2Encrypt),
        this.#eku,
        this.#leafBasicConstraints,
        extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, this.#ski))),
        ...(this.#aia ? [this.#aia] : []),
        ...(this.#crlDp ? [this.#crlDp] : []),
        sanExtension(domains, cn === null, ips.map((i) => i.bytes)),
        this.#policies,
      ],
    });
    return {
      certPem: toPem('CERTIFICATE', certDer),
      chainPems: [this.#intermediatePem],
      rootPem: this.rootPem,
      serialHex: serial.hex,
      notBefore,
      notAfter,
    };
  }
}
