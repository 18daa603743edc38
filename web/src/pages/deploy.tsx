// Deployment pieces shared by the Deployments page and a certificate's page: the registered
// resources as the Describe*InstanceList actions return them (one shape per type, read here into
// one row), deployment records of the three families with their details, retry and rollback.
import { Fragment, useEffect, useState } from 'react';
import { action, consoleGet } from '../api';
import { useI18n, type Key } from '../i18n';
import { Link } from '../router';
import { ErrorBox } from '../ui';

/** The resource types that have a Describe*InstanceList action, and that action's name. */
export const HOST_TYPES: [string, string][] = [
  ['clb', 'DescribeHostClbInstanceList'], ['cdn', 'DescribeHostCdnInstanceList'], ['waf', 'DescribeHostWafInstanceList'],
  ['live', 'DescribeHostLiveInstanceList'], ['ddos', 'DescribeHostDdosInstanceList'], ['teo', 'DescribeHostTeoInstanceList'],
  ['apigateway', 'DescribeHostApiGatewayInstanceList'], ['vod', 'DescribeHostVodInstanceList'], ['tke', 'DescribeHostTkeInstanceList'],
  ['cos', 'DescribeHostCosInstanceList'], ['lighthouse', 'DescribeHostLighthouseInstanceList'],
];

/** These lists take no Offset or Limit (the SDK's request has none): one call answers. */
const UNPAGED = new Set(['waf', 'live', 'vod', 'lighthouse']);
/** Paging parameters for a type's list, where its action takes them. */
export const pageOf = (type: string, offset: number, limit: number) => (UNPAGED.has(type) ? {} : { Offset: offset, Limit: limit });

/** One registered resource, whatever its type's shape. `id` is what InstanceIdList takes. */
export interface Resource { type: string; id: string; name: string; region: string; domains: string[]; certId: string }

type Raw = Record<string, any>;
const s = (v: unknown) => (typeof v === 'string' ? v : '');

/** Reads the instance-detail shape of each type (the SDK's *InstanceDetail models). */
export function readInstance(type: string, r: Raw): Resource {
  const base = { type, region: s(r.Region) };
  switch (type) {
    case 'clb': {
      const l = (r.Listeners as Raw[] | undefined)?.[0];
      return { ...base, id: s(r.LoadBalancerId), name: s(r.LoadBalancerName), domains: (l?.Certificate?.DnsNames as string[] | undefined) ?? [], certId: s(l?.Certificate?.CertId) };
    }
    case 'ddos': return { ...base, id: s(r.InstanceId), name: s(r.Domain), domains: [s(r.Domain)], certId: s(r.CertId) };
    case 'teo': return { ...base, id: s(r.ZoneId), name: s(r.Host), domains: [s(r.Host)], certId: s(r.CertId) };
    case 'apigateway': return { ...base, id: s(r.ServiceId), name: s(r.ServiceName), domains: [s(r.Domain)], certId: s(r.CertId) };
    case 'tke': return { ...base, id: s(r.ClusterId), name: s(r.ClusterName), domains: [], certId: '' };
    case 'lighthouse': return { ...base, id: s(r.InstanceId), name: s(r.InstanceName), domains: (r.Domain as string[] | undefined) ?? [], certId: '' };
    case 'cos': return { ...base, id: s(r.Domain), name: s(r.Bucket), domains: [s(r.Domain)], certId: s(r.CertId) };
    // cdn, waf, live, vod: a domain is the resource.
    default: return { ...base, id: s(r.Domain), name: s(r.Domain), domains: [s(r.Domain)], certId: s(r.CertId) };
  }
}

/** Every registered resource of the account, type by type (each type is its own action, so its own rate limit). */
export async function loadResources(): Promise<Resource[]> {
  const lists = await Promise.all(HOST_TYPES.map(async ([type, name]) => {
    const out: Resource[] = [];
    for (let offset = 0; offset < 1000; offset += 200) {
      const r = await action<{ TotalCount: number; InstanceList: Raw[] | null }>(name, pageOf(type, offset, 200));
      out.push(...(r.InstanceList ?? []).map((x) => readInstance(type, x)));
      if (UNPAGED.has(type) || out.length >= r.TotalCount || (r.InstanceList ?? []).length === 0) break;
    }
    return out;
  }));
  return lists.flat();
}

export function ResourceTable({ list, label }: { list: Resource[]; label: string }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table aria-label={label} data-testid="resources">
        <thead><tr><th>{t('resourceId')}</th><th>{t('resourceType')}</th><th>{t('region')}</th><th>{t('domains')}</th><th>{t('currentCert')}</th></tr></thead>
        <tbody>{list.map((r) => (
          <tr key={`${r.type}/${r.id}`}>
            <td data-label={t('resourceId')}><code className="wrap">{r.id}</code>{r.name && r.name !== r.id ? <div className="muted">{r.name}</div> : null}</td>
            <td data-label={t('resourceType')}>{r.type}</td>
            <td data-label={t('region')}>{r.region || '—'}</td>
            <td data-label={t('domains')}>{r.domains.length ? r.domains.join(', ') : '—'}</td>
            <td data-label={t('currentCert')}>{r.certId ? <Link to={`/certificates/${encodeURIComponent(r.certId)}`}>{r.certId}</Link> : '—'}</td>
          </tr>
        ))}</tbody>
      </table>
    </div>
  );
}

export type Family = 'deploy' | 'update' | 'upload';
/** A record as the three list actions show it. */
export interface RecordRow { Id: number; CertId?: string; OldCertId?: string; ResourceType?: string; ResourceTypes?: string[]; Status: number; CreateTime: string; UpdateTime?: string }
/** A detail (one resource of a record), whichever family. */
interface DetailRow { Id: number; InstanceId: string; InstanceName: string; ResourceType?: string; Domains: string[] | null; Status: number; ErrorMsg: string; UpdateTime: string; CertId?: string; OldCertId?: string }
interface Details { rows: DetailRow[]; ok: number; failed: number; running: number; pending: number }

const ACTIONS: Record<Family, { detail: string; retry: string; rollback: string }> = {
  deploy: { detail: 'DescribeHostDeployRecordDetail', retry: 'DeployCertificateRecordRetry', rollback: 'DeployCertificateRecordRollback' },
  update: { detail: 'DescribeHostUpdateRecordDetail', retry: 'UpdateCertificateRecordRetry', rollback: 'UpdateCertificateRecordRollback' },
  upload: { detail: 'DescribeHostUploadUpdateRecordDetail', retry: 'UploadUpdateCertificateRecordRetry', rollback: 'UploadUpdateCertificateRecordRollback' },
};

async function loadDetails(family: Family, id: number): Promise<Details> {
  if (family === 'deploy') {
    const r = await action<Raw>(ACTIONS.deploy.detail, { DeployRecordId: String(id), Limit: 200 });
    return { rows: r.DeployRecordDetailList ?? [], ok: r.SuccessTotalCount, failed: r.FailedTotalCount, running: r.RunningTotalCount, pending: r.PendingTotalCount };
  }
  if (family === 'update') {
    const r = await action<Raw>(ACTIONS.update.detail, { DeployRecordId: String(id), Limit: '200' });
    const rows = ((r.RecordDetailList ?? []) as Raw[]).flatMap((g) => (g.List ?? []) as DetailRow[]);
    return { rows, ok: r.SuccessTotalCount, failed: r.FailedTotalCount, running: r.RunningTotalCount, pending: r.PendingTotalCount };
  }
  // Upload updates: the record first, then its rollbacks; the record's own details are shown.
  const r = await action<Raw>(ACTIONS.upload.detail, { DeployRecordId: id, Limit: 200 });
  const rec = ((r.DeployRecordDetail ?? []) as Raw[])[0] ?? {};
  const rows = ((rec.RecordDetailList ?? []) as Raw[]).flatMap((g) => (g.List ?? []) as DetailRow[]);
  return { rows, ok: rec.SuccessTotalCount ?? 0, failed: rec.FailedTotalCount ?? 0, running: rec.RunningTotalCount ?? 0, pending: rec.PendingTotalCount ?? 0 };
}

const statusKey = (n: number) => (n >= 0 && n <= 6 ? (`rs${n}` as Key) : null);
export function RecordStatus({ status }: { status: number }) {
  const { t } = useI18n();
  const k = statusKey(status);
  const cls = status === 1 || status === 4 || status === 6 ? 's1' : status === 2 || status === 5 ? 's2' : 's0';
  return <span className={`status ${cls}`} data-status={status}>{k ? t(k) : status}</span>;
}

/** Records still moving: their rows refresh until they settle. */
const MOVING = new Set([0, 3]);

/**
 * A table of records of one family with, per record, its details (opened in place), "Retry"
 * (failed details of a finished record, or one detail) and "Roll back". `load` gives the page.
 */
export function RecordTable({ family, load, label, reloadKey = 0, empty }: { family: Family; load: () => Promise<{ total: number; list: RecordRow[] }>; label: string; reloadKey?: number; empty?: string }) {
  const { t } = useI18n();
  const [data, setData] = useState<{ total: number; list: RecordRow[] } | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [details, setDetails] = useState<Details | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [confirm, setConfirm] = useState<number | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    load().then((d) => { if (live) { setData(d); setError(null); } }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [tick, reloadKey]);
  useEffect(() => {
    if (open === null) { setDetails(null); return; }
    let live = true;
    loadDetails(family, open).then((d) => { if (live) setDetails(d); }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [open, tick]);
  // While anything runs, follow it.
  const moving = (data?.list ?? []).some((r) => MOVING.has(r.Status)) || (details?.running ?? 0) + (details?.pending ?? 0) > 0;
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => setTick((x) => x + 1), 1500);
    return () => clearInterval(timer);
  }, [moving]);

  const run = async (fn: () => Promise<string>) => {
    setError(null);
    try {
      setNote(await fn());
      setTick((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };
  const retry = (recordId: number, detailId?: number) => run(async () => {
    await action(ACTIONS[family].retry, detailId !== undefined ? { DeployRecordDetailId: detailId } : { DeployRecordId: recordId });
    return t('retryStarted', { id: recordId });
  });
  const rollback = (recordId: number) => run(async () => {
    setConfirm(null);
    const r = await action<{ DeployRecordId?: number }>(ACTIONS[family].rollback, { DeployRecordId: recordId });
    return t('rollbackStarted', { id: r.DeployRecordId ?? recordId });
  });

  return (
    <div className="records">
      <ErrorBox error={error} />
      {note ? <p role="status" className="notice">{note}</p> : null}
      {data === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>) : data.list.length === 0 ? <p className="muted">{empty ?? t('noRecords')}</p> : (
        <div className="table-wrap">
          <table aria-label={label} data-testid={`records-${family}`}>
            <thead><tr>
              <th>{t('record')}</th>{family !== 'upload' ? <th>{t('newCert')}</th> : null}{family !== 'deploy' ? <th>{t('oldCert')}</th> : null}
              <th>{t('types')}</th><th>{t('status')}</th><th>{t('updated')}</th><th><span className="visually-hidden">{t('operation')}</span></th>
            </tr></thead>
            <tbody>{data.list.map((r) => (
              <Fragment key={r.Id}>
                <tr data-record={r.Id}>
                  <td data-label={t('record')}>{r.Id}</td>
                  {family !== 'upload' ? <td data-label={t('newCert')}>{r.CertId ? <Link to={`/certificates/${encodeURIComponent(r.CertId)}`}>{r.CertId}</Link> : '—'}</td> : null}
                  {family !== 'deploy' ? <td data-label={t('oldCert')}>{r.OldCertId ? <Link to={`/certificates/${encodeURIComponent(r.OldCertId)}`}>{r.OldCertId}</Link> : '—'}</td> : null}
                  <td data-label={t('types')}>{(r.ResourceTypes ?? (r.ResourceType ? [r.ResourceType] : [])).join(', ') || '—'}</td>
                  <td data-label={t('status')}><RecordStatus status={r.Status} /></td>
                  <td data-label={t('updated')}>{r.UpdateTime ?? r.CreateTime}</td>
                  <td className="actions">
                    <button type="button" className="small" aria-expanded={open === r.Id} aria-label={t('showDetails', { id: r.Id })}
                      onClick={() => setOpen(open === r.Id ? null : r.Id)}>{open === r.Id ? t('hideDetails') : t('details')}</button>
                    {r.Status === 2 ? <button type="button" className="small" aria-label={t('retryRecord', { id: r.Id })} onClick={() => void retry(r.Id)}>{t('retry')}</button> : null}
                    {r.Status === 1 || r.Status === 2 ? (confirm === r.Id ? (
                      <span role="alertdialog" aria-label={t('confirmRollback')} className="confirm">{t('confirmRollback')}
                        <button type="button" className="small danger" onClick={() => void rollback(r.Id)} autoFocus>{t('confirm')}</button>
                        <button type="button" className="small" onClick={() => setConfirm(null)}>{t('cancel')}</button>
                      </span>
                    ) : <button type="button" className="small" aria-label={t('rollbackRecord', { id: r.Id })} onClick={() => setConfirm(r.Id)}>{t('rollback')}</button>) : null}
                  </td>
                </tr>
                {open === r.Id ? (
                  <tr className="detail-row"><td colSpan={7}>
                    {details === null ? <p aria-busy="true">{t('loading')}</p> : (
                      <div aria-label={t('showDetails', { id: r.Id })} role="region">
                        <p className="muted">{t('totals', { ok: details.ok, failed: details.failed, running: details.running, pending: details.pending })}</p>
                        <ul className="plain details-list">{details.rows.map((d) => (
                          <li key={d.Id} data-detail={d.Id}>
                            <RecordStatus status={d.Status} /> <strong>{d.InstanceName || d.InstanceId}</strong>
                            {d.ResourceType ? <span className="muted"> ({d.ResourceType})</span> : null}
                            {d.Domains?.length ? <span className="muted"> · {d.Domains.join(', ')}</span> : null}
                            <span className="muted"> · {d.UpdateTime}</span>
                            {d.ErrorMsg ? <pre className="errmsg">{d.ErrorMsg}</pre> : null}
                            {(d.Status === 2 || d.Status === 5) && r.Status !== 0 && r.Status !== 3 ? (
                              <button type="button" className="small" aria-label={t('retryDetail', { name: d.InstanceName || d.InstanceId })} onClick={() => void retry(r.Id, d.Id)}>{t('retry')}</button>
                            ) : null}
                          </li>
                        ))}</ul>
                      </div>
                    )}
                  </td></tr>
                ) : null}
              </Fragment>
            ))}</tbody>
          </table>
          {data.total > data.list.length ? <p className="muted">{t('shownOf', { n: data.list.length, total: data.total })}</p> : null}
        </div>
      )}
    </div>
  );
}

/** Records of the account: DescribeHostUpdateRecord / DescribeHostUploadUpdateRecord, and the console's deploy-records. */
export function accountRecords(family: Family, limit = 50): () => Promise<{ total: number; list: RecordRow[] }> {
  return async () => {
    if (family === 'deploy') {
      const r = await consoleGet(`deploy-records?limit=${limit}`);
      return { total: r.TotalCount, list: r.DeployRecordList ?? [] };
    }
    const r = await action<Raw>(family === 'update' ? 'DescribeHostUpdateRecord' : 'DescribeHostUploadUpdateRecord', { Limit: limit });
    return { total: r.TotalCount, list: r.DeployRecordList ?? [] };
  };
}
