// One certificate: details, the DV validation panel (what to publish, "check now", live
// status), downloads per server format with the keystore password, revoke, its deployments and
// operation log, delete.
import { useEffect, useState } from 'react';
import { action } from '../api';
import { useI18n, type Key } from '../i18n';
import { Link, useRoute } from '../router';
import { CopyField, DaysLeft, ErrorBox, statusName } from '../ui';
import { readZipText } from '../zip';
import { OperationLog, Revoke } from './CertificateExtra';
import { CertificateDeploy, ExpirySwitch } from './CertificateDeploy';
import { PaidPanel, type PaidDetail } from './PaidPanel';

interface DvAuth { DvAuthKey: string; DvAuthValue: string; DvAuthDomain: string; DvAuthPath: string | null; DvAuthSubDomain: string | null; DvAuthVerifyType: string }
interface Detail {
  CertificateId: string; Domain: string; Alias: string; Status: number; StatusMsg: string | null; SubjectAltName: string[] | null;
  CertBeginTime: string; CertEndTime: string; InsertTime: string; EncryptAlgorithm: string; CertFingerprint: string | null;
  ProductZhName: string; From: string; CertificateType: string; ProjectId: string;
  CertificatePrivateKey: string | null; DvAuthDetail: { DvAuths?: DvAuth[] } | null;
  /** The CA certificates of the chain, issuer first. */
  CACommonNames: string[] | null;
  CAEndTimes: string[] | null;
  HostingStatus?: number | null;
}
interface Check { Domain: string; VerifyType: string; LocalCheck: number; CaCheck: number; LocalCheckFailReason: string; CheckValue: string[] | null; Issued: boolean }

/** HostingStatus (turned on and off with `certport hosting`; the API has no action for it). */
const HOSTING: Record<number, Key> = { [-1]: 'hostingNone', 0: 'hostingOn', 5: 'hostingReplacing', 10: 'hostingDone' };
const FORMATS = ['nginx', 'apache', 'tomcat', 'iis', 'jks', 'other', 'root'] as const;
/** Certificates still moving: the page refreshes them. */
const MOVING = new Set([0, 4, 11]);

export function Certificate({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const { go } = useRoute();
  const [d, setD] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [checks, setChecks] = useState<Check[] | null>(null);
  const [checking, setChecking] = useState(false);
  const [download, setDownload] = useState<{ format: string; password: string | null } | null>(null);
  const [confirming, setConfirming] = useState(false);

  const load = () => action<Detail>('DescribeCertificateDetail', { CertificateId: id }).then((r) => { setD(r); setError(null); }, setError);
  useEffect(() => { setD(null); void load(); }, [id]);
  useEffect(() => {
    if (!d || !MOVING.has(d.Status)) return;
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [d?.Status]);

  const check = async () => {
    setChecking(true);
    try {
      const r = await action<{ VerificationResults: Check[] }>('CheckCertificateDomainVerification', { CertificateId: id });
      setChecks(r.VerificationResults ?? []);
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setChecking(false);
    }
  };

  const save = async (format: string) => {
    try {
      const r = await action<{ DownloadCertificateUrl: string; DownloadFilename: string }>('DescribeDownloadCertificateUrl', { CertificateId: id, ServiceType: format });
      // The link is signed for this certificate; fetched here so that the password shown is the
      // one inside the very archive saved.
      const u = new URL(r.DownloadCertificateUrl, location.href);
      const res = await fetch(u.pathname + u.search, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const zip = await res.arrayBuffer();
      const password = await readZipText(zip, /keystorePass\.txt$/);
      setDownload({ format, password: password?.trim() ?? null });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([zip], { type: 'application/zip' }));
      a.download = r.DownloadFilename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (e) {
      setError(e);
    }
  };

  const del = async () => {
    setConfirming(false);
    try {
      await action('DeleteCertificate', { CertificateId: id });
      go('/');
    } catch (e) {
      setError(e);
    }
  };

  if (!d) return <main id="main"><Link to="/">{t('backToList')}</Link><ErrorBox error={error} />{error ? null : <p aria-busy="true">{t('loading')}</p>}</main>;
  const auths = d.DvAuthDetail?.DvAuths ?? [];
  return (
    <main id="main">
      <Link to="/">{t('backToList')}</Link>
      <h1>{d.Domain || d.CertificateId} <span className={`status s${d.Status}`} data-testid="status">{statusName(d.Status, lang)}</span></h1>
      <ErrorBox error={error} />
      <section aria-labelledby="h-details" className="card">
        <h2 id="h-details">{t('details')}</h2>
        <dl className="details">
          <dt>{t('colId')}</dt><dd><code>{d.CertificateId}</code></dd>
          <dt>{t('subject')}</dt><dd>{d.Domain || '—'}</dd>
          <dt>{t('sans')}</dt><dd>{(d.SubjectAltName ?? []).length ? <ul className="plain">{d.SubjectAltName!.map((s) => <li key={s}>{s}</li>)}</ul> : '—'}</dd>
          <dt>{t('product')}</dt><dd>{d.ProductZhName}</dd>
          <dt>{t('issuer')}</dt><dd>{d.CACommonNames?.[0] ?? '—'}</dd>
          <dt>{t('notBefore')}</dt><dd>{d.CertBeginTime || '—'}</dd>
          <dt>{t('notAfter')}</dt><dd>{d.CertEndTime || '—'} <DaysLeft end={d.CertEndTime} status={d.Status} /></dd>
          <dt>{t('keyType')}</dt><dd>{d.EncryptAlgorithm || '—'}</dd>
          <dt>{t('fingerprint')}</dt><dd><code className="wrap">{d.CertFingerprint || '—'}</code></dd>
          <dt>{t('alias')}</dt><dd>{d.Alias || '—'}</dd>
          <dt>{t('insertTime')}</dt><dd>{d.InsertTime}</dd>
          {d.HostingStatus !== undefined && d.HostingStatus !== null ? <><dt>{t('hosting')}</dt><dd>{HOSTING[d.HostingStatus] ? t(HOSTING[d.HostingStatus]!) : d.HostingStatus}</dd></> : null}
          {d.StatusMsg ? <><dt>{t('status')}</dt><dd>{d.StatusMsg}</dd></> : null}
          {(d.CACommonNames ?? []).length > 0 ? <><dt>{t('chain')}</dt><dd><ol className="plain">{d.CACommonNames!.map((c, i) => <li key={i}>{c} <span className="muted">({t('notAfter')} {d.CAEndTimes?.[i] ?? '—'})</span></li>)}</ol></dd></> : null}
        </dl>
      </section>

      <PaidPanel d={d as Detail & PaidDetail} onChange={() => void load()} />

      {d.Status === 0 && auths.length > 0 ? (
        <section aria-labelledby="h-dv" className="card dv">
          <h2 id="h-dv">{t('validation')}</h2>
          <p>{t('validationIntro')}</p>
          {auths.map((a, i) => a.DvAuthVerifyType === 'FILE' ? (
            <div key={i} className="auth" data-auth="file">
              <CopyField label={t('fileUrl')} value={`http://${d.Domain}${a.DvAuthPath ?? ''}${a.DvAuthKey}`} />
              <CopyField label={t('fileContent')} value={a.DvAuthValue} />
            </div>
          ) : (
            <div key={i} className="auth" data-auth="dns">
              <h3>{t('dnsRecord')}</h3>
              <CopyField label={t('host')} value={a.DvAuthSubDomain ?? a.DvAuthKey} />
              <CopyField label={t('fullName')} value={a.DvAuthKey} />
              <CopyField label={t('recordType')} value={a.DvAuthVerifyType || 'TXT'} />
              <CopyField label={t('value')} value={a.DvAuthValue} />
            </div>
          ))}
          <button type="button" className="primary" onClick={() => void check()} disabled={checking}>{checking ? t('checking') : t('checkNow')}</button>
          <p className="muted" aria-live="polite">{t('liveStatus')}</p>
          {checks ? (
            <ul className="checks" aria-label={t('checkResult')}>
              {checks.map((c, i) => (
                <li key={i}><strong>{c.Domain}</strong>: {c.LocalCheck === 1 ? t('found') : `${t('notFound')}${c.LocalCheckFailReason ? ` (${c.LocalCheckFailReason})` : ''}`}</li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}

      {d.Status === 1 || d.Status === 3 ? (
        <section aria-labelledby="h-dl" className="card">
          <h2 id="h-dl">{t('download')}</h2>
          <div className="buttons">
            {FORMATS.map((f) => <button key={f} type="button" onClick={() => void save(f)} aria-label={t('downloadFor', { s: f })}>{f}</button>)}
          </div>
          {download ? (
            <div className="downloaded" role="status">
              <span>{download.format} ✓</span>
              {download.password ? <CopyField label={t('keystorePassword')} value={download.password} /> : null}
            </div>
          ) : null}
        </section>
      ) : null}

      {d.Status === 1 && d.From !== 'upload' ? <Revoke id={id} onDone={() => void load()} /> : null}
      <CertificateDeploy id={id} deployable={d.Status === 1} />
      {d.Status === 1 || d.Status === 3 ? <ExpirySwitch id={id} /> : null}
      <OperationLog id={id} since={d.InsertTime} refresh={d.Status} />

      <section aria-labelledby="h-del" className="card">
        <h2 id="h-del" className="visually-hidden">{t('deleteCert')}</h2>
        {!confirming ? <button type="button" className="danger" onClick={() => setConfirming(true)}>{t('deleteCert')}</button> : (
          <span role="alertdialog" aria-label={t('confirmDelete')} className="confirm">{t('confirmDelete')}
            <button type="button" className="danger" onClick={() => void del()} autoFocus>{t('confirm')}</button>
            <button type="button" onClick={() => setConfirming(false)}>{t('cancel')}</button>
          </span>
        )}
      </section>
    </main>
  );
}
