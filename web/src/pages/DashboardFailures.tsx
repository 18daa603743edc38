// The dashboard's failures: renewals that failed (the account's renewal-failed notices, raised by
// hosting) and deployments that failed (records of the three kinds whose status is failed, among
// the newest of each, and hosting's deploy-failed notices).
import { useEffect, useState } from 'react';
import { consoleGet } from '../api';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { ErrorBox } from '../ui';
import { accountRecords, RecordStatus, type Family, type RecordRow } from './deploy';

interface Notice { Id: string; Kind: string; CertificateId: string; Subject: string; CreateTime: string }
const NEWEST = 50;

export function DashboardFailures() {
  const { t } = useI18n();
  const [renewals, setRenewals] = useState<Notice[] | null>(null);
  const [deploys, setDeploys] = useState<{ family: Family; r: RecordRow }[] | null>(null);
  const [deployNotices, setDeployNotices] = useState<Notice[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const notices = ((await consoleGet('notices?limit=200')).Notices ?? []) as Notice[];
      const failed: { family: Family; r: RecordRow }[] = [];
      for (const family of ['deploy', 'update', 'upload'] as Family[]) {
        const { list } = await accountRecords(family, NEWEST)();
        failed.push(...list.filter((r) => r.Status === 2).map((r) => ({ family, r })));
      }
      if (!live) return;
      setRenewals(notices.filter((n) => n.Kind === 'renewal-failed'));
      setDeployNotices(notices.filter((n) => n.Kind === 'deploy-failed'));
      setDeploys(failed);
    })().catch((e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, []);
  const label = { deploy: t('recDeploy'), update: t('recUpdate'), upload: t('recUpload') };
  return (
    <section aria-labelledby="h-failures" className="card">
      <h2 id="h-failures">{t('failures')}</h2>
      <ErrorBox error={error} />
      {renewals === null || deploys === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>) : (
        <>
          <ul className="tiles" data-testid="failures">
            <li><Link to="/notices"><span className="n" data-testid="failed-renewals">{renewals.length}</span> {t('failedRenewals')}</Link></li>
            <li><Link to="/deployments"><span className="n" data-testid="failed-deployments">{deploys.length + deployNotices.length}</span> {t('failedDeployments')}</Link></li>
          </ul>
          {renewals.length + deploys.length + deployNotices.length === 0 ? <p className="muted">{t('nothingFailed')}</p> : (
            <ul className="plain failures">
              {renewals.slice(0, 10).map((n) => (
                <li key={n.Id}><span className="status s2">{t('failedRenewals')}</span> {n.CreateTime} {n.CertificateId ? <Link to={`/certificates/${encodeURIComponent(n.CertificateId)}`}>{n.Subject}</Link> : n.Subject}</li>
              ))}
              {deploys.slice(0, 10).map(({ family, r }) => (
                <li key={`${family}/${r.Id}`}><RecordStatus status={r.Status} /> <Link to={`/deployments?records=${family}`}>{label[family]} #{r.Id}</Link>{' '}
                  {r.CertId ? <Link to={`/certificates/${encodeURIComponent(r.CertId)}`}>{r.CertId}</Link> : null} <span className="muted">{r.UpdateTime ?? r.CreateTime}</span></li>
              ))}
              {deployNotices.slice(0, 10).map((n) => (
                <li key={n.Id}><span className="status s2">{t('failedDeployments')}</span> {n.CreateTime} {n.CertificateId ? <Link to={`/certificates/${encodeURIComponent(n.CertificateId)}`}>{n.Subject}</Link> : n.Subject}</li>
              ))}
            </ul>
          )}
          <p className="muted">{t('amongNewest', { n: NEWEST })}</p>
        </>
      )}
    </section>
  );
}
