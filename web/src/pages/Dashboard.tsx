// The dashboard: certificates by status, what expires within 7 and 30 days, and what waits for
// validation, all from DescribeCertificates. Seven calls at most (the API's rate limit is per
// action: 10 a second by default), counts read from TotalCount with Limit 1.
import { useEffect, useState } from 'react';
import { action } from '../api';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { DaysLeft, ErrorBox, parseApiTime, statusName } from '../ui';
import { DashboardFailures } from './DashboardFailures';

interface Cert { CertificateId: string; Domain: string; Alias: string; Status: number; CertEndTime: string }
interface List { TotalCount: number; Certificates: Cert[] | null }
const DAY = 86_400_000;
/** The statuses counted one by one; the rest are "other". */
const COUNTED = [1, 2, 3, 10] as const;
/** Enough of the 30-day list (soonest first) to count the 7-day one exactly unless it is larger. */
const EXPIRING_PAGE = 200;

interface Data { total: number; byStatus: [number, number][]; pending: List; expiring: List; within7: number }

export function Dashboard() {
  const { t, lang } = useI18n();
  const [d, setD] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const count = async (statuses?: number[]) => (await action<List>('DescribeCertificates', { Limit: 1, ...(statuses ? { CertificateStatus: statuses } : {}) })).TotalCount;
      // One after another: at once they would spend the whole second's allowance in a burst.
      const total = await count();
      const byStatus: [number, number][] = [];
      for (const s of COUNTED) byStatus.push([s, await count([s])]);
      const pending = await action<List>('DescribeCertificates', { Limit: 10, IsPendingIssue: 1 });
      const expiring = await action<List>('DescribeCertificates', { Limit: EXPIRING_PAGE, FilterExpiring: 1, ExpirationSort: 'ASC' });
      const now = Date.now();
      const within7 = (expiring.Certificates ?? []).filter((c) => (parseApiTime(c.CertEndTime) ?? Infinity) <= now + 7 * DAY).length;
      if (live) setD({ total, byStatus, pending, expiring, within7 });
    })().catch((e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, []);

  if (!d) return <main id="main"><h1>{t('dashboard')}</h1><ErrorBox error={error} />{error ? null : <p aria-busy="true">{t('loading')}</p>}</main>;
  const counted = d.byStatus.reduce((n, [, c]) => n + c, 0) + d.pending.TotalCount;
  const seven = d.within7 === EXPIRING_PAGE ? `${EXPIRING_PAGE}+` : String(d.within7);
  const soon = (d.expiring.Certificates ?? []).slice(0, 10);
  return (
    <main id="main">
      <h1>{t('dashboard')}</h1>
      <section aria-labelledby="h-bystatus" className="card">
        <h2 id="h-bystatus">{t('byStatus')}</h2>
        <ul className="tiles" data-testid="by-status">
          <li><Link to="/"><span className="n">{d.total}</span> {t('allCertificates')}</Link></li>
          <li><Link to="/?status=0"><span className="n">{d.pending.TotalCount}</span> {t('pendingValidation')}</Link></li>
          {d.byStatus.map(([s, n]) => <li key={s}><Link to={`/?status=${s}`}><span className="n">{n}</span> {statusName(s, lang)}</Link></li>)}
          {d.total - counted > 0 ? <li><span className="n">{d.total - counted}</span> {t('otherStatuses')}</li> : null}
        </ul>
      </section>
      <section aria-labelledby="h-expiring" className="card">
        <h2 id="h-expiring">{t('expiringSoon')}</h2>
        <ul className="tiles" data-testid="expiring">
          <li><Link to="/?expiring=1&sort=ASC"><span className="n" data-testid="within7">{seven}</span> {t('within7')}</Link></li>
          <li><Link to="/?expiring=1&sort=ASC"><span className="n" data-testid="within30">{d.expiring.TotalCount}</span> {t('within30')}</Link></li>
        </ul>
        {soon.length ? <CertTable list={soon} label={t('expiringSoon')} /> : <p className="muted">{t('nothingExpiring')}</p>}
      </section>
      <section aria-labelledby="h-pending" className="card">
        <h2 id="h-pending">{t('pendingValidations')}</h2>
        {(d.pending.Certificates ?? []).length ? <CertTable list={d.pending.Certificates!} label={t('pendingValidations')} /> : <p className="muted">{t('nothingPending')}</p>}
      </section>
      <DashboardFailures />
    </main>
  );
}

function CertTable({ list, label }: { list: Cert[]; label: string }) {
  const { t, lang } = useI18n();
  return (
    <div className="table-wrap">
      <table aria-label={label}>
        <thead><tr><th>{t('colDomain')}</th><th>{t('colStatus')}</th><th>{t('colExpires')}</th><th>{t('colDaysLeft')}</th></tr></thead>
        <tbody>{list.map((c) => (
          <tr key={c.CertificateId}>
            <td data-label={t('colDomain')}><Link to={`/certificates/${encodeURIComponent(c.CertificateId)}`}>{c.Domain || c.CertificateId}</Link>{c.Alias ? <span className="muted"> ({c.Alias})</span> : null}</td>
            <td data-label={t('colStatus')}>{statusName(c.Status, lang)}</td>
            <td data-label={t('colExpires')}>{c.CertEndTime || '—'}</td>
            <td data-label={t('colDaysLeft')}><DaysLeft end={c.CertEndTime} status={c.Status} /></td>
          </tr>
        ))}</tbody>
      </table>
    </div>
  );
}
