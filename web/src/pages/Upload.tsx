import { useState, type ChangeEvent, type FormEvent } from 'react';
import { action } from '../api';
import { useI18n } from '../i18n';
import { useRoute } from '../router';
import { ErrorBox } from '../ui';

export function Upload() {
  const { t } = useI18n();
  const { go } = useRoute();
  const [cert, setCert] = useState('');
  const [key, setKey] = useState('');
  const [alias, setAlias] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fromFile = (set: (s: string) => void) => async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    if (f) set(await f.text());
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await action<{ CertificateId: string }>('UploadCertificate', {
        CertificatePublicKey: cert, ...(key.trim() ? { CertificatePrivateKey: key } : {}), ...(alias.trim() ? { Alias: alias.trim() } : {}),
      });
      go(`/certificates/${r.CertificateId}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <main id="main">
      <h1>{t('upload')}</h1>
      <p>{t('uploadIntro')}</p>
      <form onSubmit={submit} className="card form">
        <label htmlFor="u-cert">{t('certPem')}</label>
        <textarea id="u-cert" required rows={8} value={cert} onChange={(e) => setCert(e.target.value)} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" />
        <label htmlFor="u-cert-file" className="small-label">{t('chooseFile')}</label>
        <input id="u-cert-file" type="file" accept=".pem,.crt,.cer,text/plain" onChange={(e) => void fromFile(setCert)(e)} />
        <label htmlFor="u-key">{t('keyPem')}</label>
        <textarea id="u-key" rows={6} value={key} onChange={(e) => setKey(e.target.value)} spellCheck={false} autoComplete="off" placeholder="-----BEGIN PRIVATE KEY-----" />
        <label htmlFor="u-key-file" className="small-label">{t('chooseFile')}</label>
        <input id="u-key-file" type="file" accept=".pem,.key,text/plain" onChange={(e) => void fromFile(setKey)(e)} />
        <label htmlFor="u-alias">{t('alias')}</label>
        <input id="u-alias" value={alias} onChange={(e) => setAlias(e.target.value)} maxLength={200} />
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>{t('uploadButton')}</button>
      </form>
    </main>
  );
}
