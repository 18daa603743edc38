// The parts of a certificate's page after its details: revocation (RFC 5280 reasons) and its
// operation log (deployments: CertificateDeploy.tsx).
import { useEffect, useState } from 'react';
import { action } from '../api';
import { useI18n, type Key } from '../i18n';
import { CopyField, ErrorBox } from '../ui';

/** RevokeCertificate's Reason values (see README: the RFC 5280 names). */
const REASONS = ['unspecified', 'keyCompromise', 'caCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'] as const;

interface RevokeAuth { DomainValidateAuthPath: string; DomainValidateAuthKey: string; DomainValidateAuthValue: string; DomainValidateAuthDomain: string }

export function Revoke({ id, onDone }: { id: string; onDone: () => void }) {
  const { t } = useI18n();
  const [reason, setReason] = useState<string>('unspecified');
  const [confirming, setConfirming] = useState(false);
  const [auths, setAuths] = useState<RevokeAuth[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const revoke = async () => {
    setConfirming(false);
    try {
      const r = await action<{ RevokeDomainValidateAuths: RevokeAuth[] | null }>('RevokeCertificate', { CertificateId: id, Reason: reason });
      setAuths(r.RevokeDomainValidateAuths ?? []);
      setError(null);
      onDone();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="h-revoke" className="card">
      <h2 id="h-revoke">{t('revoke')}</h2>
      <ErrorBox error={error} />
      <label htmlFor="revoke-reason">{t('revokeReason')}</label>{' '}
      <select id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
        {REASONS.map((r) => <option key={r} value={r}>{t(`reason_${r}` as Key)}</option>)}
      </select>{' '}
      {!confirming ? <button type="button" className="danger" onClick={() => setConfirming(true)}>{t('revoke')}</button> : (
        <span role="alertdialog" aria-label={t('confirmRevoke')} className="confirm">{t('confirmRevoke')}
          <button type="button" className="danger" onClick={() => void revoke()} autoFocus>{t('confirm')}</button>
          <button type="button" onClick={() => setConfirming(false)}>{t('cancel')}</button>
        </span>
      )}
      {auths && auths.length > 0 ? (
        <div role="status">
          <p>{t('revokeProof')}</p>
          {auths.map((a, i) => (
            <div key={i} className="auth">
              <CopyField label={t('host')} value={a.DomainValidateAuthKey} />
              <CopyField label={t('value')} value={a.DomainValidateAuthValue} />
            </div>
          ))}
        </div>
      ) : null}
    </section>
  );
}

interface OperateLog { Action: string; CreatedOn: string; SubAccountUin: string; CertId: string; Type: number }

/** The account's log has no certificate filter: read it from the certificate's creation on, a
 *  few pages at most, and keep this certificate's entries; read again when its status moves. */
export function OperationLog({ id, since, refresh }: { id: string; since: string; refresh: number }) {
  const { t } = useI18n();
  const [logs, setLogs] = useState<OperateLog[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const mine: OperateLog[] = [];
      for (let page = 0; page < 5; page++) {
        const r = await action<{ AllTotal: number; OperateLogs: OperateLog[] | null }>('DescribeCertificateOperateLogs', {
          ...(since ? { StartTime: since } : {}), Offset: page * 1000, Limit: 1000,
        });
        const got = r.OperateLogs ?? [];
        mine.push(...got.filter((l) => l.CertId === id));
        if ((page + 1) * 1000 >= r.AllTotal || got.length === 0) break;
      }
      if (live) setLogs(mine);
    })().catch((e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [id, since, refresh]);
  return (
    <section aria-labelledby="h-log" className="card">
      <h2 id="h-log">{t('operationLog')}</h2>
      <ErrorBox error={error} />
      {logs === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>) : logs.length === 0 ? <p className="muted">{t('noLogs')}</p> : (
        <div className="table-wrap">
          <table data-testid="oplog" className="log">
            <thead><tr><th>{t('time')}</th><th>{t('operation')}</th><th>{t('by')}</th></tr></thead>
            <tbody>{logs.map((l, i) => <tr key={i}><td data-label={t('time')}>{l.CreatedOn}</td><td data-label={t('operation')}>{l.Action}</td><td data-label={t('by')}>{l.SubAccountUin === '--' ? '—' : l.SubAccountUin || t('rootUser')}</td></tr>)}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}
