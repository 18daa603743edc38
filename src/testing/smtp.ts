// Test support: a real SMTP receiver (smtp-server) on 127.0.0.1 offering STARTTLS with a
// certificate made here (a throw-away CA and a leaf for IP 127.0.0.1), requiring AUTH, and
// recording each message with whether its session was encrypted. Tests stop it.
import 'reflect-metadata'; // @peculiar/x509 needs this before it loads
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';
import { toPem } from '../pki/pem.js';
import { freePort } from './net.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface ReceivedMail {
  from: string;
  to: string[];
  /** True when the message came over TLS (STARTTLS or implicit TLS). */
  secure: boolean;
  user: string | null;
  subject: string;
  headers: Record<string, string>;
  /** The text body, quoted-printable decoded. */
  text: string;
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  /** The CA that signed the server's certificate (for CERTPORT_SMTP_CA_FILE). */
  caPem: string;
  /** Writes caPem to `file` and returns the path. */
  writeCa(file: string): string;
  messages: ReceivedMail[];
  /** SMTP reply codes to refuse the next messages with (e.g. 451), then accept. */
  script: number[];
  /** Sessions that sent a message without TLS. */
  plainSessions: number;
  stop(): Promise<void>;
}

const DAY = 86_400_000;

/** A CA and a server certificate for 127.0.0.1 / localhost (EC P-256). */
export async function makeServerCert(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams;
  const sign = { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;
  const gen = () => webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const [caKeys, leafKeys] = await Promise.all([gen(), gen()]);
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 30 * DAY);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=certport test SMTP CA', keys: caKeys, notBefore, notAfter, signingAlgorithm: sign,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    subject: 'CN=127.0.0.1', issuer: ca.subject, publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey,
    notBefore, notAfter, signingAlgorithm: sign,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }]),
    ],
  });
  const key = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  return { caPem: ca.toString('pem') + '\n', certPem: leaf.toString('pem') + '\n', keyPem: toPem('PRIVATE KEY', key) };
}

function parse(raw: string): Pick<ReceivedMail, 'subject' | 'headers' | 'text'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r\n(?=[ \t])/g, '');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let text = split < 0 ? '' : raw.slice(split + 4);
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    text = Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return { subject: headers.subject ?? '', headers, text };
}

export async function startSmtp(opts: { starttls?: boolean; user?: string; pass?: string } = {}): Promise<SmtpReceiver> {
  const { caPem, certPem, keyPem } = await makeServerCert();
  const r = { messages: [] as ReceivedMail[], script: [] as number[], plainSessions: 0 };
  const server = new SMTPServer({
    key: keyPem,
    cert: certPem,
    hideSTARTTLS: opts.starttls === false,
    authOptional: !opts.user,
    // Only when the test asks for a server without STARTTLS may AUTH go in the clear.
    allowInsecureAuth: opts.starttls === false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.pass) return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        const code = r.script.shift();
        if (code) {
          const err = Object.assign(new Error('try again later'), { responseCode: code });
          return cb(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        if (!session.secure) r.plainSessions++;
        r.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((a) => a.address),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
          raw,
          ...parse(raw),
        });
        cb();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return Object.assign(r, {
    port,
    caPem,
    writeCa(file: string) {
      writeFileSync(file, caPem);
      return file;
    },
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  });
}
