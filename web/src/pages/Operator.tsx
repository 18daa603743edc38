// Operators: paid orders waiting for review (and any other status), and OV/EV revocations whose
// letter is in, waiting for confirmation. The same service as `certport orders …` answers.
import { useEffect, useState } from 'react';
import { operator } from '../operator-api';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { ErrorBox, statusName } from '../ui';

export interface OrderRow {
  CertificateId: string; Uin: string; Status: number; StatusMsg: string | null; ProductId: number; Product: string; DealId: string;
  Domains: string[]; Submitted: Record<string, unknown> | null; CsrUploaded: boolean; Letter: string | null; LetterBytes: number | null;
  AwaitingReview: boolean; Validating: boolean; ReviewedBy: string | null; ReviewedAt: string | null; ReviewNote: string | null; CreatedAt: string;
}
interface Revocation { CertificateId: string; Uin: string; Reason: string; State: string; RequestedAt: string; RequestedBy: string; Letter: string | null }

const FILTERS = ['', 'all', '0', '8', '2', '1', '7'] as const;

export function OperatorOrders() {
  const { t, lang } = useI18n();
  const [status, setStatus] = useState<string>('');
  const [orders, setOrders] = useState<OrderRow[] | null>(null);
  const [revs, setRevs] = useState<Revocation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState<Record<string, string>>({});
  const [done, setDone] = useState('');
  const loadOrders = () => operator.orders(status || undefined).then((r) => setOrders(r.Orders as OrderRow[]), setError);
  const loadRevs = () => operator.revocations().then((r) => setRevs(r.Revocations as Revocation[]), setError);
  useEffect(() => { setOrders(null); void loadOrders(); }, [status]);
  useEffect(() => { void loadRevs(); }, []);

  const decide = async (id: string, confirm: boolean) => {
    setError(null);
    try {
      if (confirm) await operator.confirmRevoke(id);
      else await operator.cancelRevoke(id, reason[id] ?? '');
      setDone(t(confirm ? 'revocationConfirmed' : 'revocationDeclined', { id }));
      await loadRevs();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <main id="main">
      <h1>{t('reviewTitle')}</h1>
      <ErrorBox error={error} />
      {done ? <p role="status">{done}</p> : null}
      <section aria-labelledby="h-orders">
        <h2 id="h-orders">{t('reviewOrders')}</h2>
        <div className="filters">
          <div className="field">
            <label htmlFor="op-status">{t('status')}</label>
            <select id="op-status" value={status} onChange={(e) => setStatus(e.target.value)}>
              {FILTERS.map((f) => <option key={f} value={f}>{f === '' ? t('reviewWaiting') : f === 'all' ? t('all') : statusName(Number(f), lang)}</option>)}
            </select>
          </div>
        </div>
        {orders === null ? <p aria-busy="true">{t('loading')}</p> : orders.length === 0 ? <p className="empty">{t('reviewNone')}</p> : (
          <div className="table-wrap">
            <table className="orders" aria-label={t('reviewOrders')}>
              <thead><tr><th scope="col">{t('colId')}</th><th scope="col">{t('colDomain')}</th><th scope="col">{t('orgName')}</th><th scope="col">{t('account')}</th>
                <th scope="col">{t('orderProduct')}</th><th scope="col">{t('status')}</th><th scope="col">{t('letter')}</th><th scope="col">{t('created')}</th></tr></thead>
              <tbody>{orders.map((o) => (
                <tr key={o.CertificateId}>
                  <td data-label={t('colId')}><Link to={`/operator/orders/${o.CertificateId}`}>{o.CertificateId}</Link></td>
                  <td data-label={t('colDomain')}>{o.Domains.join(', ') || '—'}</td>
                  <td data-label={t('orgName')}>{String(o.Submitted?.OrganizationName ?? '—')}</td>
                  <td data-label={t('account')}><code>{o.Uin}</code></td>
                  <td data-label={t('orderProduct')}>{o.Product}</td>
                  <td data-label={t('status')}><span className={`status s${o.Status}`}>{o.AwaitingReview ? t('reviewAwaiting') : statusName(o.Status, lang)}</span></td>
                  <td data-label={t('letter')}>{o.Letter ? o.Letter.toUpperCase() : '—'}</td>
                  <td data-label={t('created')}>{o.CreatedAt.slice(0, 19).replace('T', ' ')}</td>
                </tr>
              ))}</tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="h-revs">
        <h2 id="h-revs">{t('reviewRevocations')}</h2>
        {revs === null ? <p aria-busy="true">{t('loading')}</p> : revs.length === 0 ? <p className="empty">{t('reviewNoRevocations')}</p> : (
          <div className="table-wrap">
            <table aria-label={t('reviewRevocations')}>
              <thead><tr><th scope="col">{t('colId')}</th><th scope="col">{t('account')}</th><th scope="col">{t('revokeReason')}</th>
                <th scope="col">{t('letter')}</th><th scope="col">{t('actions')}</th></tr></thead>
              <tbody>{revs.map((r) => (
                <tr key={r.CertificateId}>
                  <td data-label={t('colId')}><code>{r.CertificateId}</code></td>
                  <td data-label={t('account')}><code>{r.Uin}</code></td>
                  <td data-label={t('revokeReason')}>{r.Reason}</td>
                  <td data-label={t('letter')}>{r.Letter ? <a href={operator.revokeLetterUrl(r.CertificateId)} target="_blank" rel="noopener">{t('letterOpen')}</a> : '—'}</td>
                  <td data-label={t('actions')}>
                    <div className="buttons">
                      <button type="button" className="primary" onClick={() => void decide(r.CertificateId, true)}>{t('revocationConfirm')}</button>
                      <label htmlFor={`decline-${r.CertificateId}`} className="visually-hidden">{t('rejectReason')}</label>
                      <input id={`decline-${r.CertificateId}`} placeholder={t('rejectReason')} value={reason[r.CertificateId] ?? ''}
                        onChange={(e) => setReason((o) => ({ ...o, [r.CertificateId]: e.target.value }))} />
                      <button type="button" className="danger" disabled={!(reason[r.CertificateId] ?? '').trim()} onClick={() => void decide(r.CertificateId, false)}>{t('revocationDecline')}</button>
                    </div>
                  </td>
                </tr>
              ))}</tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
