import { useState, type FormEvent } from 'react';
import { action } from '../api';
import { useI18n } from '../i18n';
import { useRoute } from '../router';
import { ErrorBox } from '../ui';

export function Apply() {
  const { t } = useI18n();
  const { go } = useRoute();
  const [domain, setDomain] = useState('');
  const [method, setMethod] = useState('DNS');
  const [algo, setAlgo] = useState('RSA');
  const [alias, setAlias] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await action<{ CertificateId: string }>('ApplyCertificate', {
        DomainName: domain.trim(), DvAuthMethod: method, CsrEncryptAlgo: algo, CsrKeyParameter: algo === 'RSA' ? '2048' : 'prime256v1',
        ...(alias.trim() ? { Alias: alias.trim() } : {}),
      });
      go(`/certificates/${r.CertificateId}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <main id="main">
      <h1>{t('apply')}</h1>
      <p>{t('applyIntro')}</p>
      <form onSubmit={submit} className="card form">
        <label htmlFor="a-domain">{t('domain')}</label>
        <input id="a-domain" required value={domain} onChange={(e) => setDomain(e.target.value)} placeholder="www.example.com" autoComplete="off" spellCheck={false} />
        <fieldset>
          <legend>{t('method')}</legend>
          {[['DNS', t('methodDNS')], ['DNS_AUTO', t('methodDNSAuto')], ['FILE', t('methodFILE')]].map(([v, label]) => (
            <div key={v} className="radio">
              <input type="radio" id={`a-m-${v}`} name="method" value={v} checked={method === v} onChange={() => setMethod(v!)} />
              <label htmlFor={`a-m-${v}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <label htmlFor="a-algo">{t('keyAlgo')}</label>
        <select id="a-algo" value={algo} onChange={(e) => setAlgo(e.target.value)}>
          <option value="RSA">RSA 2048</option>
          <option value="ECC">ECC P-256</option>
        </select>
        <label htmlFor="a-alias">{t('alias')}</label>
        <input id="a-alias" value={alias} onChange={(e) => setAlias(e.target.value)} maxLength={200} />
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>{t('applyButton')}</button>
      </form>
    </main>
  );
}
