// Operators: one paid order with everything submitted and the letter (shown, opened, saved);
// approve (domain validation starts, issuance follows) or reject with a reason.
import { Fragment, useEffect, useState } from 'react';
import { operator } from '../operator-api';
import { useI18n, type Key } from '../i18n';
import { Link } from '../router';
import { ErrorBox, statusName } from '../ui';
import type { OrderRow } from './Operator';

/** The submitted fields, grouped as the order form asks them. */
const GROUPS: [Key, string[]][] = [
  ['orderDomains', ['CertificateDomain', 'DomainList', 'VerifyType', 'CsrType']],
  ['orderOrganization', ['OrganizationName', 'OrganizationDivision', 'OrganizationAddress', 'OrganizationCountry', 'OrganizationRegion', 'OrganizationCity', 'PostalCode', 'PhoneAreaCode', 'PhoneNumber']],
  ['orderAdmin', ['AdminFirstName', 'AdminLastName', 'AdminEmail', 'AdminPhoneNum', 'AdminPosition']],
  ['orderContact', ['ContactFirstName', 'ContactLastName', 'ContactEmail', 'ContactNumber', 'ContactPosition']],
];

export function OperatorOrder({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const [o, setO] = useState<OrderRow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [approving, setApproving] = useState(false);
  const load = () => operator.order(id).then((r) => { setO(r as OrderRow); }, setError);
  useEffect(() => { void load(); }, [id]);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setApproving(false);
    try {
      setO(await fn() as OrderRow);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (!o) return <main id="main"><Link to="/operator/orders">{t('reviewBack')}</Link><ErrorBox error={error} />{error ? null : <p aria-busy="true">{t('loading')}</p>}</main>;
  const s = o.Submitted ?? {};
  const image = o.Letter === 'png' || o.Letter === 'jpg';
  return (
    <main id="main">
      <Link to="/operator/orders">{t('reviewBack')}</Link>
      <h1>{o.Domains[0] ?? o.CertificateId} <span className={`status s${o.Status}`} data-testid="order-status">{o.AwaitingReview ? t('reviewAwaiting') : statusName(o.Status, lang)}</span></h1>
      <ErrorBox error={error} />
      <section aria-labelledby="h-o-details" className="card">
        <h2 id="h-o-details">{t('details')}</h2>
        <dl className="details">
          <dt>{t('colId')}</dt><dd><code>{o.CertificateId}</code></dd>
          <dt>{t('account')}</dt><dd><code>{o.Uin}</code></dd>
          <dt>{t('orderProduct')}</dt><dd>{o.Product}</dd>
          <dt>{t('dealId')}</dt><dd><code>{o.DealId}</code></dd>
          <dt>{t('sans')}</dt><dd>{o.Domains.join(', ') || '—'}</dd>
          <dt>{t('created')}</dt><dd>{o.CreatedAt.slice(0, 19).replace('T', ' ')}</dd>
          {o.ReviewedBy ? <><dt>{t('reviewedBy')}</dt><dd>{o.ReviewedBy} {o.ReviewedAt ? <span className="muted">({o.ReviewedAt.slice(0, 19).replace('T', ' ')})</span> : null}</dd></> : null}
          {o.ReviewNote ? <><dt>{t('rejectReason')}</dt><dd data-testid="review-note">{o.ReviewNote}</dd></> : null}
          {o.CsrUploaded ? <><dt>{t('csr')}</dt><dd>{t('orderKeyCsr')}</dd></> : null}
        </dl>
      </section>
      {GROUPS.map(([title, keys]) => keys.some((k) => s[k] !== undefined && s[k] !== null && s[k] !== '') ? (
        <section key={title} aria-labelledby={`h-g-${title}`} className="card">
          <h2 id={`h-g-${title}`}>{t(title)}</h2>
          <dl className="details submitted">
            {keys.filter((k) => s[k] !== undefined && s[k] !== null && s[k] !== '').map((k) => (
              <Fragment key={k}><dt>{k}</dt><dd>{Array.isArray(s[k]) ? (s[k] as unknown[]).join(', ') : String(s[k])}</dd></Fragment>
            ))}
          </dl>
        </section>
      ) : null)}

      <section aria-labelledby="h-o-letter" className="card">
        <h2 id="h-o-letter">{t('confirmLetter')}</h2>
        {!o.Letter ? <p className="muted">{t('letterNone')}</p> : (
          <>
            <p>{o.Letter.toUpperCase()}{o.LetterBytes ? `, ${t('bytesN', { n: o.LetterBytes.toLocaleString() })}` : ''}</p>
            <div className="buttons">
              <a className="button" href={operator.letterUrl(id)} target="_blank" rel="noopener">{t('letterOpen')}</a>
              <a className="button" href={operator.letterUrl(id, true)} download>{t('letterDownload')}</a>
            </div>
            {image ? <img className="letter-preview" src={operator.letterUrl(id)} alt={t('letterPreview', { id })} /> : null}
          </>
        )}
      </section>

      {o.AwaitingReview ? (
        <section aria-labelledby="h-o-decide" className="card">
          <h2 id="h-o-decide">{t('reviewDecide')}</h2>
          <p>{t('reviewApproveHint')}</p>
          {!approving ? <button type="button" className="primary" disabled={busy} onClick={() => setApproving(true)}>{t('approve')}</button> : (
            <span role="alertdialog" aria-label={t('approveConfirm')} className="confirm">{t('approveConfirm')}
              <button type="button" className="primary" onClick={() => void act(() => operator.approve(id))} autoFocus>{t('confirm')}</button>
              <button type="button" onClick={() => setApproving(false)}>{t('cancel')}</button>
            </span>
          )}
          <form className="form" onSubmit={(e) => { e.preventDefault(); void act(() => operator.reject(id, reason)); }}>
            <label htmlFor="o-reject">{t('rejectReason')}</label>
            <textarea id="o-reject" rows={2} required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
            <button type="submit" className="danger" disabled={busy || !reason.trim()}>{t('reject')}</button>
          </form>
        </section>
      ) : o.Validating ? <p role="status" className="card">{t('reviewValidating')}</p> : null}
    </main>
  );
}
