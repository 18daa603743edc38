// On a certificate's page: where a paid (OV/EV) order stands — continue a submission (5), upload
// the confirmation letter (8), under review (0), rejected with the reason (2, resubmit), cancel —
// and, for an OV/EV revocation, the revocation letter (12) and the wait for an operator (9).
import { Fragment, useState, type FormEvent } from 'react';
import { action, ApiError } from '../api';
import { useI18n, type Key } from '../i18n';
import { fileBase64, LETTER_CODES } from '../letter';
import { Link } from '../router';
import { ErrorBox } from '../ui';

export interface PaidDetail {
  CertificateId: string;
  Status: number;
  StatusMsg: string | null;
  SubmittedData?: Record<string, unknown> | null;
  DvAuthDetail?: { DvAuths?: unknown[] } | null;
}

/** A letter picked from disk and sent as Base64 to `act`; the API's size and format codes shown in both languages. */
function LetterUpload({ id, act, param, label, onDone }: { id: string; act: string; param: string; label: string; onDone: () => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputId = `letter-${act}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      await action(act, { CertificateId: id, [param]: await fileBase64(file) });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const code = error instanceof ApiError ? (LETTER_CODES as Record<string, Key>)[error.code] : undefined;
  return (
    <form onSubmit={submit} className="letter">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} type="file" required accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
        aria-describedby={`${inputId}-hint`} onChange={(e) => { setFile(e.target.files?.[0] ?? null); setError(null); }} />
      <p id={`${inputId}-hint`} className="hint">{t('letterRules')}</p>
      {code ? <p className="error" role="alert" data-testid="letter-error">{t(code)}</p> : null}
      <ErrorBox error={error} />
      <button type="submit" className="primary" disabled={busy || !file}>{busy ? t('uploading') : t('uploadLetter')}</button>
    </form>
  );
}

const SUMMARY: [string, Key][] = [['CertificateDomain', 'domain'], ['OrganizationName', 'orgName'], ['OrganizationCountry', 'orgCountry'], ['VerifyType', 'method']];

export function PaidPanel({ d, onChange }: { d: PaidDetail; onChange: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState(false);
  const s = d.Status;
  const submitted = d.SubmittedData ?? null;
  const validating = (d.DvAuthDetail?.DvAuths?.length ?? 0) > 0;
  const run = async (name: string) => {
    setError(null);
    setCancelling(false);
    try {
      await action(name, { CertificateId: d.CertificateId });
      onChange();
    } catch (e) {
      setError(e);
    }
  };

  // The revocation letter is asked of OV/EV certificates only (status 12), then an operator confirms (9).
  if (s === 12) {
    return (
      <section aria-labelledby="h-revoke-letter" className="card notice-card">
        <h2 id="h-revoke-letter">{t('revokeLetterTitle')}</h2>
        <p>{t('revokeLetterIntro')}</p>
        <LetterUpload id={d.CertificateId} act="UploadRevokeLetter" param="RevokeLetter" label={t('revokeLetterFile')} onDone={onChange} />
      </section>
    );
  }
  const isOrder = submitted !== null || s === 5 || s === 8;
  if (!isOrder) return null;
  return (
    <section aria-labelledby="h-order" className="card notice-card" data-testid="paid-order">
      <h2 id="h-order">{t('orderStatusTitle')}</h2>
      <ErrorBox error={error} />
      {s === 5 ? <p>{t('orderAwaitingSubmission')} <Link to={`/order?id=${encodeURIComponent(d.CertificateId)}`}>{t('orderContinue')}</Link></p> : null}
      {s === 8 ? (
        <>
          <p>{t('orderAwaitingLetter')}</p>
          <LetterUpload id={d.CertificateId} act="UploadConfirmLetter" param="ConfirmLetter" label={t('confirmLetterFile')} onDone={onChange} />
        </>
      ) : null}
      {s === 0 && !validating ? <p role="status">{t('orderUnderReview')}</p> : null}
      {s === 0 && validating ? <p>{t('orderApprovedValidate')}</p> : null}
      {s === 2 ? (
        <div>
          <p role="status">{t('orderRejected')} <strong data-testid="reject-reason">{d.StatusMsg}</strong></p>
          <button type="button" onClick={() => void run('ModifyCertificateResubmit')}>{t('orderResubmit')}</button>
        </div>
      ) : null}
      {s === 1 ? <p>{t('orderIssued')}</p> : null}
      {s === 9 ? <p role="status">{t('revokeAwaitingOperator')}</p> : null}
      {submitted ? (
        <dl className="details">
          {SUMMARY.filter(([k]) => submitted[k]).map(([k, label]) => <Fragment key={k}><dt>{t(label)}</dt><dd>{String(submitted[k])}</dd></Fragment>)}
          {Array.isArray(submitted.DomainList) && submitted.DomainList.length > 1 ? <><dt>{t('sans')}</dt><dd>{submitted.DomainList.join(', ')}</dd></> : null}
        </dl>
      ) : null}
      {[5, 8].includes(s) || (s === 0 && !validating) ? (
        !cancelling ? <button type="button" className="danger" onClick={() => setCancelling(true)}>{t('orderCancel')}</button> : (
          <span role="alertdialog" aria-label={t('orderCancelConfirm')} className="confirm">{t('orderCancelConfirm')}
            <button type="button" className="danger" onClick={() => void run('CancelCertificateOrder')} autoFocus>{t('confirm')}</button>
            <button type="button" onClick={() => setCancelling(false)}>{t('cancel')}</button>
          </span>
        )
      ) : null}
    </section>
  );
}
