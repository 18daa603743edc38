// CSRs (the spec's CSR APIs): the list (DescribeCSRSet), a new one (CreateCSR: a draft, or
// generated with its key), its content and key (DescribeCSR), delete selected (BatchDeleteCSR).
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { action } from '../api';
import { useI18n, type Key } from '../i18n';
import { CopyButton, ErrorBox } from '../ui';

interface Csr { Id: number; Domain: string; Organization: string; EncryptAlgo: string; KeyParameter: string; Remarks: string; Status: number; CreateTime: string }
interface CsrDetail extends Csr { CSR: string | null; PrivateKey: string | null; KeyPassword: string | null }
const SIZE = 20;
/** EncryptAlgo/KeyParameter pairs CreateCSR accepts. */
const KEYS: [string, string, string][] = [['RSA', '2048', 'RSA 2048'], ['RSA', '4096', 'RSA 4096'], ['ECC', 'prime256v1', 'ECC P-256']];
const FIELDS: [string, Key, string][] = [
  ['Domain', 'domain', 'www.example.com'], ['Organization', 'organization', ''], ['Department', 'department', ''],
  ['Email', 'email', ''], ['Province', 'province', ''], ['City', 'city', ''], ['Country', 'country', 'CN'],
];

export function Csrs() {
  const { t } = useI18n();
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ total: number; list: Csr[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [open, setOpen] = useState<CsrDetail | null>(null);
  const [tick, setTick] = useState(0);
  const [form, setForm] = useState<Record<string, string>>({ Country: 'CN', key: '0', Remark: '' });
  const [generate, setGenerate] = useState(true);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    let live = true;
    action<{ Total: number; Set: Csr[] | null }>('DescribeCSRSet', { Offset: (page - 1) * SIZE, Limit: SIZE })
      .then((r) => { if (live) { setData({ total: r.Total, list: r.Set ?? [] }); setSelected(new Set()); } }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [page, tick]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const [algo, param] = KEYS[Number(form.key)]!;
      const fields = Object.fromEntries(FIELDS.map(([f]) => [f, (form[f] ?? '').trim()]));
      const r = await action<{ Id: number }>('CreateCSR', { ...fields, EncryptAlgo: algo, KeyParameter: param, Generate: generate, ...(form.Remark ? { Remark: form.Remark } : {}) });
      setPage(1);
      setTick((x) => x + 1);
      await show(r.Id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const show = async (id: number) => {
    try {
      setOpen({ ...await action<CsrDetail>('DescribeCSR', { CSRId: id }), Id: id });
    } catch (err) {
      setError(err);
    }
  };
  const del = async () => {
    setConfirming(false);
    try {
      await action('BatchDeleteCSR', { CSRIds: [...selected] });
      if (open && selected.has(open.Id)) setOpen(null);
      setTick((x) => x + 1);
    } catch (err) {
      setError(err);
    }
  };
  const toggle = (id: number) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const pages = data ? Math.max(1, Math.ceil(data.total / SIZE)) : 1;

  return (
    <main id="main">
      <h1>{t('csrs')}</h1>
      <ErrorBox error={error} />
      <form onSubmit={create} className="card form" aria-labelledby="h-newcsr">
        <h2 id="h-newcsr">{t('createCsr')}</h2>
        {FIELDS.map(([f, label, ph]) => (
          <Fragment key={f}>
            <label htmlFor={`csr-${f}`}>{t(label)}</label>
            <input id={`csr-${f}`} required value={form[f] ?? ''} placeholder={ph} spellCheck={false}
              maxLength={f === 'Country' ? 2 : 200} onChange={(e) => setForm({ ...form, [f]: e.target.value })} />
          </Fragment>
        ))}
        <label htmlFor="csr-key">{t('keyAlgo')}</label>
        <select id="csr-key" value={form.key} onChange={(e) => setForm({ ...form, key: e.target.value })}>
          {KEYS.map(([, , label], i) => <option key={label} value={i}>{label}</option>)}
        </select>
        <label htmlFor="csr-remark">{t('remark')}</label>
        <input id="csr-remark" value={form.Remark} maxLength={200} onChange={(e) => setForm({ ...form, Remark: e.target.value })} />
        <div className="radio">
          <input type="checkbox" id="csr-generate" checked={generate} onChange={(e) => setGenerate(e.target.checked)} />
          <label htmlFor="csr-generate">{t('generateNow')}</label>
        </div>
        <button type="submit" className="primary" disabled={busy}>{t('createCsr')}</button>
      </form>

      {open ? (
        <section aria-labelledby="h-csr" className="card" data-testid="csr-detail">
          <h2 id="h-csr">{t('csr')} #{open.Id}: {open.Domain}</h2>
          {open.CSR ? (
            <>
              <pre className="pem" data-copy="CSR">{open.CSR}</pre>
              <CopyButton text={open.CSR} what="CSR" />
              {open.PrivateKey ? <><h3>{t('privateKey')}</h3><pre className="pem">{open.PrivateKey}</pre><CopyButton text={open.PrivateKey} what={t('privateKey')} /></> : null}
            </>
          ) : <p className="muted">{t('csrDraft')}</p>}
          <button type="button" onClick={() => setOpen(null)}>{t('close')}</button>
        </section>
      ) : null}

      <section aria-labelledby="h-csrlist">
        <h2 id="h-csrlist">{t('csrList')}</h2>
        {!data ? <p aria-busy="true">{t('loading')}</p> : data.list.length === 0 ? <p className="empty">{t('noCsrs')}</p> : (
          <>
            <div className="table-wrap">
              <table className="csrs" aria-labelledby="h-csrlist">
                <thead><tr><th>{t('colSelect')}</th><th>{t('colId')}</th><th>{t('colDomain')}</th><th>{t('keyType')}</th><th>{t('remark')}</th><th>{t('insertTime')}</th></tr></thead>
                <tbody>{data.list.map((c) => (
                  <tr key={c.Id}>
                    <td><input type="checkbox" aria-label={t('selectRow', { id: String(c.Id) })} checked={selected.has(c.Id)} onChange={() => toggle(c.Id)} /></td>
                    <td data-label={t('colId')}>{c.Id}</td>
                    <td data-label={t('colDomain')}><button type="button" className="link" onClick={() => void show(c.Id)}>{c.Domain}</button></td>
                    <td data-label={t('keyType')}>{c.EncryptAlgo} {c.KeyParameter}</td>
                    <td data-label={t('remark')}>{c.Remarks || '—'}</td>
                    <td data-label={t('insertTime')}>{c.CreateTime}</td>
                  </tr>
                ))}</tbody>
              </table>
            </div>
            <div className="buttons">
              {!confirming ? <button type="button" className="danger" disabled={selected.size === 0} onClick={() => setConfirming(true)}>{t('deleteSelected', { n: selected.size })}</button> : (
                <span role="alertdialog" aria-label={t('confirmDelete')} className="confirm">{t('confirmDelete')}
                  <button type="button" className="danger" onClick={() => void del()} autoFocus>{t('confirm')}</button>
                  <button type="button" onClick={() => setConfirming(false)}>{t('cancel')}</button>
                </span>
              )}
              <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>{t('previous')}</button>
              <span>{t('pageOfTotal', { p: page, n: pages, total: data.total })}</span>
              <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>{t('next')}</button>
            </div>
          </>
        )}
      </section>
    </main>
  );
}
