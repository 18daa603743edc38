// On a certificate's page: deploy it to registered resources (DeployCertificateInstance, the
// resources from Describe*InstanceList with its CertificateId: those it covers first), its
// deployment records with retry and rollback, and its expiry-notice switch
// (ModifyCertificatesExpiringNotificationSwitch; the state is DescribeCertificates' IsIgnore).
import { useEffect, useState } from 'react';
import { action } from '../api';
import { useI18n } from '../i18n';
import { ErrorBox } from '../ui';
import { HOST_TYPES, pageOf, readInstance, RecordTable, type RecordRow, type Resource } from './deploy';

export function CertificateDeploy({ id, deployable }: { id: string; deployable: boolean }) {
  const { t } = useI18n();
  const [type, setType] = useState('clb');
  const [lists, setLists] = useState<{ covered: Resource[]; others: Resource[] } | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [reload, setReload] = useState(0);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!deployable) return;
    let live = true;
    setLists(null);
    setSelected(new Set());
    const name = HOST_TYPES.find(([k]) => k === type)![1];
    const read = (match: '1' | '0') => action<{ InstanceList: Record<string, unknown>[] | null }>(name, {
      CertificateId: id, ...pageOf(type, 0, 200), Filters: [{ FilterKey: 'domainMatch', FilterValue: match }],
    }).then((r) => (r.InstanceList ?? []).map((x) => readInstance(type, x)));
    Promise.all([read('1'), read('0')]).then(([covered, others]) => { if (live) setLists({ covered, others }); }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [id, type, deployable]);

  const toggle = (rid: string) => setSelected((s) => { const n = new Set(s); if (n.has(rid)) n.delete(rid); else n.add(rid); return n; });
  const deploy = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await action<{ DeployRecordId: number; DeployStatus: number }>('DeployCertificateInstance', { CertificateId: id, ResourceType: type, InstanceIdList: [...selected] });
      setNote(r.DeployStatus === 1 ? t('deployStarted', { id: r.DeployRecordId }) : t('deployPending', { id: r.DeployRecordId }));
      setSelected(new Set());
      setReload((x) => x + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const records = async (): Promise<{ total: number; list: RecordRow[] }> => {
    const r = await action<{ TotalCount: number; DeployRecordList: RecordRow[] | null }>('DescribeHostDeployRecord', { CertificateId: id, Limit: 50 });
    return { total: r.TotalCount, list: r.DeployRecordList ?? [] };
  };
  const group = (list: Resource[], title: string) => list.length === 0 ? null : (
    <fieldset>
      <legend>{title}</legend>
      <ul className="plain">{list.map((r) => (
        <li key={r.id} className="radio">
          <input type="checkbox" id={`dep-${r.id}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} />
          <label htmlFor={`dep-${r.id}`} aria-label={t('selectResource', { name: r.name || r.id })}>
            <code>{r.id}</code>{r.name && r.name !== r.id ? ` ${r.name}` : ''} <span className="muted">{r.domains.join(', ')}{r.certId ? ` · ${t('currentCert')}: ${r.certId}` : ''}</span>
          </label>
        </li>
      ))}</ul>
    </fieldset>
  );

  return (
    <section aria-labelledby="h-deploy" className="card">
      <h2 id="h-deploy">{t('deployments')}</h2>
      {deployable ? (
        <div className="deploy-form">
          <h3>{t('deployTitle')}</h3>
          <p className="muted">{t('deployIntro')}</p>
          <ErrorBox error={error} />
          <label htmlFor="deploy-type">{t('resourceType')}</label>{' '}
          <select id="deploy-type" value={type} onChange={(e) => setType(e.target.value)}>
            {HOST_TYPES.map(([k]) => <option key={k} value={k}>{k}</option>)}
          </select>
          {lists === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>)
            : lists.covered.length + lists.others.length === 0 ? <p className="muted">{t('deployNone')}</p> : (
              <>
                {group(lists.covered, t('deployCovered'))}
                {group(lists.others, t('deployOthers'))}
                <button type="button" className="primary" disabled={selected.size === 0 || busy} onClick={() => void deploy()}>{t('deploySelected', { n: selected.size })}</button>
              </>
            )}
          {note ? <p role="status" className="notice">{note}</p> : null}
        </div>
      ) : null}
      <h3>{t('certRecords')}</h3>
      <RecordTable family="deploy" label={t('certRecords')} load={records} reloadKey={reload} empty={t('noDeployments')} />
    </section>
  );
}

export function ExpirySwitch({ id }: { id: string }) {
  const { t } = useI18n();
  const [ignored, setIgnored] = useState<boolean | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => action<{ Certificates: { CertificateId: string; IsIgnore: boolean }[] | null }>('DescribeCertificates', { SearchKey: id, Limit: 100 })
    .then((r) => setIgnored((r.Certificates ?? []).find((c) => c.CertificateId === id)?.IsIgnore ?? false), setError);
  useEffect(() => { void load(); }, [id]);
  const flip = async () => {
    try {
      await action('ModifyCertificatesExpiringNotificationSwitch', { CertificateIds: [id], SwitchStatus: ignored ? 0 : 1 });
      setError(null);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="h-expiry" className="card">
      <h2 id="h-expiry">{t('expiryNotices')}</h2>
      <ErrorBox error={error} />
      {ignored === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>) : (
        <p data-testid="expiry-switch">
          <span>{ignored ? t('expiryOff') : t('expiryOn')}</span>{' '}
          <button type="button" aria-pressed={!ignored} onClick={() => void flip()}>{ignored ? t('turnOn') : t('turnOff')}</button>
        </p>
      )}
    </section>
  );
}
