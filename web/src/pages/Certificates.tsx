// The certificate list: the spec's filters (DescribeCertificates, with tags and project), days left,
// paging, bulk delete, bulk alias (ModifyCertificateAlias one by one) and project (ModifyCertificateProject).
import { useEffect, useState, type FormEvent } from 'react';
import { action, ApiError } from '../api';
import { useI18n } from '../i18n';
import { Link, useRoute } from '../router';
import { DaysLeft, ErrorBox, STATUS_FILTERS, statusName } from '../ui';

interface Cert { CertificateId: string; Domain: string; Alias: string; Status: number; CertEndTime: string; CertificateType: string; From: string; IsIgnore?: boolean }

export function Certificates() {
  const { t, lang } = useI18n();
  const { search, go } = useRoute();
  // Filters live in the address, so a filtered page can be bookmarked and Back works.
  const f = {
    status: search.get('status') ?? '', type: search.get('type') ?? '', source: search.get('source') ?? '',
    q: search.get('q') ?? '', project: search.get('project') ?? '', tag: search.get('tag') ?? '', expiring: search.get('expiring') === '1', sort: search.get('sort') ?? '',
    page: Math.max(1, Number(search.get('page') ?? '1') || 1), size: Number(search.get('size') ?? '20') || 20,
  };
  const [q, setQ] = useState(f.q);
  const [project, setProject] = useState(f.project);
  const [tag, setTag] = useState(f.tag);
  const [bulkAlias, setBulkAlias] = useState('');
  const [bulkProject, setBulkProject] = useState('');
  const [done, setDone] = useState('');
  const [data, setData] = useState<{ total: number; list: Cert[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [tick, setTick] = useState(0);

  const set = (changes: Record<string, string>) => {
    const s = new URLSearchParams(search);
    for (const [k, v] of Object.entries(changes)) if (v === '') s.delete(k); else s.set(k, v);
    if (!('page' in changes)) s.delete('page');
    const qs = s.toString();
    go(qs ? `/?${qs}` : '/');
  };

  useEffect(() => {
    let live = true;
    setError(null);
    action<{ TotalCount: number; Certificates: Cert[] }>('DescribeCertificates', {
      Offset: (f.page - 1) * f.size, Limit: f.size,
      ...(f.q ? { SearchKey: f.q } : {}),
      ...(f.status !== '' ? { CertificateStatus: [Number(f.status)] } : {}),
      ...(f.type ? { CertificateType: f.type } : {}),
      ...(f.source ? { FilterSource: f.source } : {}),
      ...(f.expiring ? { FilterExpiring: 1 } : {}),
      ...(f.sort ? { ExpirationSort: f.sort } : {}),
      ...(/^\d+$/.test(f.project) ? { ProjectId: Number(f.project) } : {}),
      ...(f.tag ? { Tags: [tagParam(f.tag)] } : {}),
    }).then((r) => { if (live) { setData({ total: r.TotalCount, list: r.Certificates ?? [] }); setSelected(new Set()); } },
      (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [search.toString(), tick]);

  const pages = data ? Math.max(1, Math.ceil(data.total / f.size)) : 1;
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const allOn = !!data && data.list.length > 0 && data.list.every((c) => selected.has(c.CertificateId));
  const del = async () => {
    setConfirming(false);
    try {
      await action('DeleteCertificates', { CertificateIds: [...selected] });
      setTick((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };
  const submit = (e: FormEvent) => { e.preventDefault(); set({ q: q.trim(), project: project.trim(), tag: tag.trim() }); };
  /** The API has no bulk alias: one call per certificate, waiting out the per-action rate limit. */
  const setAliases = async () => {
    setError(null);
    try {
      for (const id of selected) {
        for (;;) {
          try {
            await action('ModifyCertificateAlias', { CertificateId: id, Alias: bulkAlias.trim() });
            break;
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 'RequestLimitExceeded')) throw e;
            await new Promise((ok) => setTimeout(ok, 1000));
          }
        }
      }
      setDone(t('bulkDone', { n: selected.size }));
      setBulkAlias('');
      setTick((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };
  const moveProject = async () => {
    setError(null);
    try {
      await action('ModifyCertificateProject', { CertificateIdList: [...selected], ProjectId: Number(bulkProject) });
      setDone(t('bulkDone', { n: selected.size }));
      setTick((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };

  /** Expiry notices off (1) or on (0) for the selected: ModifyCertificatesExpiringNotificationSwitch, 50 at a time. */
  const expirySwitch = async (off: boolean) => {
    setError(null);
    try {
      const ids = [...selected];
      for (let i = 0; i < ids.length; i += 50) await action('ModifyCertificatesExpiringNotificationSwitch', { CertificateIds: ids.slice(i, i + 50), SwitchStatus: off ? 1 : 0 });
      setDone(t('bulkDone', { n: ids.length }));
      setTick((x) => x + 1);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <main id="main">
      <h1>{t('certificates')}</h1>
      <form className="filters" onSubmit={submit} role="search">
        <div className="field">
          <label htmlFor="f-q">{t('search')}</label>
          <input id="f-q" type="search" value={q} placeholder={t('searchPlaceholder')} onChange={(e) => setQ(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="f-status">{t('status')}</label>
          <select id="f-status" value={f.status} onChange={(e) => set({ status: e.target.value })}>
            <option value="">{t('all')}</option>
            {STATUS_FILTERS.map((s) => <option key={s} value={s}>{statusName(s, lang)}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-type">{t('type')}</label>
          <select id="f-type" value={f.type} onChange={(e) => set({ type: e.target.value })}>
            <option value="">{t('all')}</option>
            <option value="SVR">{t('typeSVR')}</option>
            <option value="CA">{t('typeCA')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-source">{t('source')}</label>
          <select id="f-source" value={f.source} onChange={(e) => set({ source: e.target.value })}>
            <option value="">{t('all')}</option>
            <option value="buy">{t('sourceBuy')}</option>
            <option value="upload">{t('sourceUpload')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-sort">{t('sort')}</label>
          <select id="f-sort" value={f.sort} onChange={(e) => set({ sort: e.target.value })}>
            <option value="">{t('sortNone')}</option>
            <option value="ASC">{t('sortAsc')}</option>
            <option value="DESC">{t('sortDesc')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-project">{t('projectId')}</label>
          <input id="f-project" inputMode="numeric" pattern="[0-9]*" value={project} onChange={(e) => setProject(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="f-tag">{t('tagFilter')}</label>
          <input id="f-tag" value={tag} placeholder="env=prod" spellCheck={false} onChange={(e) => setTag(e.target.value)} />
        </div>
        <div className="field check">
          <input id="f-expiring" type="checkbox" checked={f.expiring} onChange={(e) => set({ expiring: e.target.checked ? '1' : '' })} />
          <label htmlFor="f-expiring">{t('expiringOnly')}</label>
        </div>
        <button type="submit">{t('filter')}</button>
      </form>
      <ErrorBox error={error} />
      <div className="toolbar">
        <button type="button" onClick={() => setTick((x) => x + 1)}>{t('refresh')}</button>
        {selected.size > 0 && !confirming ? <button type="button" className="danger" onClick={() => setConfirming(true)}>{t('deleteSelected', { n: selected.size })}</button> : null}
        {confirming ? <span role="alertdialog" aria-label={t('confirmDelete')} className="confirm">{t('confirmDelete')}
          <button type="button" className="danger" onClick={() => void del()} autoFocus>{t('confirm')}</button>
          <button type="button" onClick={() => setConfirming(false)}>{t('cancel')}</button></span> : null}
        {selected.size > 0 ? (
          <>
            <label htmlFor="b-alias">{t('bulkAlias')}</label>
            <input id="b-alias" value={bulkAlias} maxLength={200} onChange={(e) => setBulkAlias(e.target.value)} />
            <button type="button" onClick={() => void setAliases()}>{t('setAlias', { n: selected.size })}</button>
            <label htmlFor="b-project">{t('bulkProject')}</label>
            <input id="b-project" inputMode="numeric" pattern="[0-9]*" value={bulkProject} onChange={(e) => setBulkProject(e.target.value)} />
            <button type="button" disabled={!/^\d+$/.test(bulkProject)} onClick={() => void moveProject()}>{t('moveProject', { n: selected.size })}</button>
            <button type="button" onClick={() => void expirySwitch(true)}>{t('expiryOffSelected', { n: selected.size })}</button>
            <button type="button" onClick={() => void expirySwitch(false)}>{t('expiryOnSelected', { n: selected.size })}</button>
          </>
        ) : null}
        {done ? <span role="status">{done}</span> : null}
      </div>
      {!data ? <p aria-busy="true">{t('loading')}</p> : data.list.length === 0 ? <p className="empty">{t('noCertificates')}</p> : (
        <div className="table-wrap">
          <table className="certs" aria-label={t('certificates')}>
            <thead>
              <tr>
                <th scope="col"><input type="checkbox" aria-label={t('selectAll')} checked={allOn}
                  onChange={() => setSelected(allOn ? new Set() : new Set(data.list.map((c) => c.CertificateId)))} /></th>
                <th scope="col">{t('colDomain')}</th>
                <th scope="col">{t('colId')}</th>
                <th scope="col">{t('colStatus')}</th>
                <th scope="col">{t('colExpires')}</th>
                <th scope="col">{t('colDaysLeft')}</th>
              </tr>
            </thead>
            <tbody>
              {data.list.map((c) => (
                <tr key={c.CertificateId}>
                  <td><input type="checkbox" aria-label={t('selectRow', { id: c.CertificateId })} checked={selected.has(c.CertificateId)} onChange={() => toggle(c.CertificateId)} /></td>
                  <td data-label={t('colDomain')}><div><Link to={`/certificates/${c.CertificateId}`}>{c.Domain || c.CertificateId}</Link>{c.Alias ? <div className="muted">{c.Alias}</div> : null}{c.IsIgnore ? <div className="muted muted-expiry">{t('expiryMuted')}</div> : null}</div></td>
                  <td data-label={t('colId')}><code>{c.CertificateId}</code></td>
                  <td data-label={t('colStatus')}><span className={`status s${c.Status}`}>{statusName(c.Status, lang)}</span></td>
                  <td data-label={t('colExpires')}>{c.CertEndTime || '—'}</td>
                  <td data-label={t('colDaysLeft')}><DaysLeft end={c.CertEndTime} status={c.Status} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="pagination">
        <button type="button" disabled={f.page <= 1} onClick={() => set({ page: String(f.page - 1) })}>{t('previous')}</button>
        <span aria-live="polite">{t('pageOf', { p: f.page, n: pages, total: data?.total ?? 0 })}</span>
        <button type="button" disabled={f.page >= pages} onClick={() => set({ page: String(f.page + 1) })}>{t('next')}</button>
        <label htmlFor="f-size">{t('perPage')}</label>
        <select id="f-size" value={f.size} onChange={(e) => set({ size: e.target.value })}>
          {[10, 20, 50, 100].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </nav>
    </main>
  );
}

/** "key=value" (or "key" for any value) → a Tags filter entry. */
function tagParam(s: string): { TagKey: string; TagValue: string } {
  const i = s.indexOf('=');
  return i < 0 ? { TagKey: s, TagValue: '' } : { TagKey: s.slice(0, i).trim(), TagValue: s.slice(i + 1).trim() };
}
