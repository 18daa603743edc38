// PKCS#12 (PFX) for IIS / Tomcat downloads, built with pkijs. No I/O.
// PBES2 (PBKDF2-SHA256, AES-256-CBC) for the key bag and the certificate safe,
// HMAC-SHA256 MAC, 2048 iterations. node-forge is not used: it cannot handle EC keys.
import * as pkijs from 'pkijs';
import * as asn1js from 'asn1js';
import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { OID } from './oids.js';

const ITERATIONS = 2048;

// Passed explicitly to every pkijs call so we never depend on (or change) pkijs's global engine.
const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
};

/** Any PEM private key (PKCS#8, PKCS#1, SEC1) → unencrypted PKCS#8 DER. */
export function privateKeyPkcs8Der(keyPem: string): Buffer {
  return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
}

/** Certificate PEM (one block) → DER; throws on anything that is not a certificate. */
export function certificateDer(certPem: string): Buffer {
  return new X509Certificate(certPem).raw;
}

function bagAttributes(friendlyName: string, localKeyId: Buffer): pkijs.Attribute[] {
  return [
    new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: friendlyName })] }),
    new pkijs.Attribute({ type: OID.localKeyId, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
  ];
}

export async function buildPfx(opts: { keyPem: string; certPems: string[] /* leaf first then chain */; password: string; friendlyName: string }): Promise<Buffer> {
  if (opts.certPems.length === 0) throw new Error('buildPfx: at least the leaf certificate is required');
  const password = toArrayBuffer(Buffer.from(opts.password, 'utf8'));
  const keyDer = privateKeyPkcs8Der(opts.keyPem);
  const certDers = opts.certPems.map(certificateDer);
  // Same convention as OpenSSL and Java: localKeyId = SHA-1 of the leaf certificate.
  const localKeyId = createHash('sha1').update(certDers[0]).digest();

  const keyInfo = pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(keyDer));
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: keyInfo });
  const encryption = {
    password,
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as pkijs.ContentEncryptionAesCbcParams,
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: ITERATIONS,
  };
  await keyBag.makeInternalValues(encryption, engine);

  const certBags = certDers.map((der, i) => new pkijs.SafeBag({
    bagId: OID.certBag,
    bagValue: new pkijs.CertBag({
      certId: OID.x509Certificate,
      certValue: new asn1js.OctetString({ valueHex: toArrayBuffer(der) }),
      parsedValue: pkijs.Certificate.fromBER(toArrayBuffer(der)),
    }),
    // Only the leaf carries the pairing attributes; the rest are its chain.
    ...(i === 0 ? { bagAttributes: bagAttributes(opts.friendlyName, localKeyId) } : {}),
  }));

  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0, // password-based MAC
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            {
              privacyMode: 0, // plain Data: the key bag is already shrouded
              value: new pkijs.SafeContents({
                safeBags: [new pkijs.SafeBag({
                  bagId: OID.pkcs8ShroudedKeyBag,
                  bagValue: keyBag,
                  bagAttributes: bagAttributes(opts.friendlyName, localKeyId),
                })],
              }),
            },
            {
              privacyMode: 1, // password-encrypted EncryptedData
              value: new pkijs.SafeContents({ safeBags: certBags }),
            },
          ],
        },
      }),
    },
  });

  await pfx.parsedValue!.authenticatedSafe!.makeInternalValues({ safeContents: [{}, encryption] }, engine);
  await pfx.makeInternalValues({
    password,
    iterations: ITERATIONS,
    pbkdf2HashAlgorithm: { name: 'SHA-256' },
    hmacHashAlgorithm: 'SHA-256',
  }, engine);
  return Buffer.from(pfx.toSchema().toBER(false));
}
