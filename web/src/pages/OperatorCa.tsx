// Operators: certport's CA — the roots and intermediates (subject, validity, SHA-256 fingerprint,
// PEM to copy or download), the CRL of each issuing intermediate and the OCSP responder.
import { useEffect, useState } from 'react';
import { operator } from '../operator-api';
import { useI18n } from '../i18n';
import { CopyButton, ErrorBox } from '../ui';

interface CaCert { Name: string; Subject: string; Issuer: string; IsRoot: boolean; KeyType: string; SerialNumber: string; NotBefore: string; NotAfter: string; FingerprintSha256: string; Pem: string; Url: string; Path: string }
interface Ca { Certificates: CaCert[]; Crls: { Issuer: string; Url: string; Path: string }[]; OcspUrl: string }

export function OperatorCa() {
  const { t } = useI18n();
  const [ca, setCa] = useState<Ca | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { operator.ca().then((r) => setCa(r as Ca), setError); }, []);
  const date = (s: string) => s.slice(0, 19).replace('T', ' ');
  const fp = (hex: string) => hex.toUpperCase().match(/.{2}/g)!.join(':');
  return (
    <main id="main">
      <h1>{t('caTitle')}</h1>
      <p>{t('caIntro')}</p>
      <ErrorBox error={error} />
      {!ca ? (error ? null : <p aria-busy="true">{t('loading')}</p>) : (
        <>
          {ca.Certificates.map((c) => (
            <section key={c.Name} aria-labelledby={`h-ca-${c.Name}`} className="card" data-testid="ca-cert">
              <h2 id={`h-ca-${c.Name}`}>{c.Name} <span className="status">{c.IsRoot ? t('caRoot') : t('caIntermediate')}</span></h2>
              <dl className="details">
                <dt>{t('caSubject')}</dt><dd className="wrap">{c.Subject}</dd>
                {c.IsRoot ? null : <><dt>{t('issuer')}</dt><dd className="wrap">{c.Issuer}</dd></>}
                <dt>{t('keyType')}</dt><dd>{c.KeyType}</dd>
                <dt>{t('validity')}</dt><dd>{date(c.NotBefore)} — {date(c.NotAfter)}</dd>
                <dt>{t('caSerial')}</dt><dd><code className="wrap">{c.SerialNumber}</code></dd>
                <dt>SHA-256</dt><dd><code className="wrap">{fp(c.FingerprintSha256)}</code></dd>
              </dl>
              <div className="buttons">
                <a className="button" href={c.Path} download={c.Name} aria-label={t('caDownload', { name: c.Name })}>{t('download')} PEM</a>
                <CopyButton text={c.Pem} what={c.Name} />
              </div>
            </section>
          ))}
          <section aria-labelledby="h-crl" className="card">
            <h2 id="h-crl">{t('caRevocation')}</h2>
            <ul className="plain">
              {ca.Crls.map((c) => <li key={c.Issuer}>CRL ({c.Issuer}): <a href={c.Path}>{c.Url}</a></li>)}
              <li>OCSP: <code>{ca.OcspUrl}</code></li>
            </ul>
          </section>
        </>
      )}
    </main>
  );
}
