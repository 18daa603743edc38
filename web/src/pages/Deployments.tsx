// Deployment resources and records: the account's registered resources (Describe*InstanceList),
// and its records of the three kinds, each with its details, retry and rollback. Deploy records
// can be narrowed to one certificate (DescribeHostDeployRecord).
import { useEffect, useState, type FormEvent } from 'react';
import { action } from '../api';
import { useI18n } from '../i18n';
import { useRoute } from '../router';
import { ErrorBox } from '../ui';
import { accountRecords, loadResources, RecordTable, ResourceTable, type Family, type RecordRow, type Resource } from './deploy';

const FAMILIES: Family[] = ['deploy', 'update', 'upload'];

export function Deployments() {
  const { t } = useI18n();
  const { search, go } = useRoute();
  const family = (FAMILIES as string[]).includes(search.get('records') ?? '') ? search.get('records') as Family : 'deploy';
  const cert = search.get('cert') ?? '';
  const [certInput, setCertInput] = useState(cert);
  const [resources, setResources] = useState<Resource[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { loadResources().then(setResources, setError); }, []);
  useEffect(() => setCertInput(cert), [cert]);

  const nav = (f: Family, c = '') => go(`/deployments?records=${f}${c ? `&cert=${encodeURIComponent(c)}` : ''}`);
  const byCert = async (): Promise<{ total: number; list: RecordRow[] }> => {
    const r = await action<{ TotalCount: number; DeployRecordList: RecordRow[] | null }>('DescribeHostDeployRecord', { CertificateId: cert, Limit: 50 });
    return { total: r.TotalCount, list: r.DeployRecordList ?? [] };
  };
  const submit = (e: FormEvent) => { e.preventDefault(); nav('deploy', certInput.trim()); };
  const label = { deploy: t('recDeploy'), update: t('recUpdate'), upload: t('recUpload') };

  return (
    <main id="main">
      <h1>{t('navDeployments')}</h1>
      <section aria-labelledby="h-resources" className="card">
        <h2 id="h-resources">{t('resources')}</h2>
        <p className="muted">{t('resourcesIntro')}</p>
        <ErrorBox error={error} />
        {resources === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>)
          : resources.length === 0 ? <p className="empty">{t('noResources')}</p> : <ResourceTable list={resources} label={t('resources')} />}
      </section>
      <section aria-labelledby="h-records" className="card">
        <h2 id="h-records">{t('records')}</h2>
        <div role="tablist" aria-label={t('records')} className="tabs">
          {FAMILIES.map((f) => (
            <button key={f} type="button" role="tab" id={`tab-${f}`} aria-selected={f === family} aria-controls="records-panel"
              className={f === family ? 'primary' : ''} onClick={() => nav(f)}>{label[f]}</button>
          ))}
        </div>
        <div role="tabpanel" id="records-panel" aria-labelledby={`tab-${family}`}>
          {family === 'deploy' ? (
            <form className="filters" role="search" onSubmit={submit}>
              <div className="field">
                <label htmlFor="rec-cert">{t('pickCertificate')}</label>
                <input id="rec-cert" value={certInput} spellCheck={false} placeholder={t('allCertificatesRecords')} onChange={(e) => setCertInput(e.target.value)} />
              </div>
              <button type="submit">{t('filter')}</button>
              {cert ? <button type="button" onClick={() => nav('deploy')}>{t('allCertificatesRecords')}</button> : null}
            </form>
          ) : null}
          <RecordTable key={`${family}/${cert}`} family={family} label={label[family]}
            load={family === 'deploy' && cert ? byCert : accountRecords(family)} />
        </div>
      </section>
    </main>
  );
}
