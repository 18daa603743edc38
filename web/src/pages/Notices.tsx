// Notices and channels: the account's recent notices with how their delivery went, and its
// notification channels (emails, signed webhook) with "send a test notice". Changing them is the
// root user's; the rules are NoticeService's, the same as `certport notify set` and /admin/notify.
import { useEffect, useState, type FormEvent } from 'react';
import { consoleGet, consolePost } from '../api';
import { useI18n, type Key } from '../i18n';
import { Link } from '../router';
import { ErrorBox } from '../ui';

interface Notice { Id: string; Kind: string; CertificateId: string; Subject: string; State: string; EmailState: string; WebhookState: string; Attempts: number; LastError: string; CreateTime: string; SentTime: string | null }
interface Channels { Emails: string[]; WebhookUrl: string | null; WebhookSecretSet: boolean; UpdatedAt: string | null; UsesDefault: boolean; CanChange: boolean; Warnings?: string[] }
interface TestResult { Channel: string; Target: string; Ok: boolean; Detail: string }

const KINDS = new Set(['expiry', 'renewal-failed', 'validation-needed', 'deploy-failed', 'deploy-succeeded', 'hosting-started', 'hosting-reminder']);
const STATES = new Set(['pending', 'sent', 'failed', 'none']);

export function Notices() {
  const { t } = useI18n();
  return (
    <main id="main">
      <h1>{t('notices')}</h1>
      <ChannelsCard />
      <NoticeList />
    </main>
  );
}

export function kindName(kind: string, t: (k: Key) => string): string {
  return KINDS.has(kind) ? t(`kind_${kind}` as Key) : kind;
}

function NoticeList() {
  const { t } = useI18n();
  const [list, setList] = useState<Notice[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { consoleGet('notices?limit=100').then((r) => setList((r.Notices ?? []) as Notice[]), setError); }, []);
  const state = (s: string) => (STATES.has(s) ? t(`ns_${s}` as Key) : s);
  return (
    <section aria-labelledby="h-notices" className="card">
      <h2 id="h-notices">{t('notices')}</h2>
      <p className="muted">{t('noticesIntro')}</p>
      <ErrorBox error={error} />
      {list === null ? (error ? null : <p aria-busy="true">{t('loading')}</p>) : list.length === 0 ? <p className="empty">{t('noNotices')}</p> : (
        <div className="table-wrap">
          <table aria-label={t('notices')} data-testid="notices" className="log">
            <thead><tr><th>{t('time')}</th><th>{t('kind')}</th><th>{t('noticeSubject')}</th><th>{t('delivery')}</th></tr></thead>
            <tbody>{list.map((n) => (
              <tr key={n.Id}>
                <td data-label={t('time')}>{n.CreateTime}</td>
                <td data-label={t('kind')}>{kindName(n.Kind, t)}</td>
                <td data-label={t('noticeSubject')}>{n.CertificateId ? <Link to={`/certificates/${encodeURIComponent(n.CertificateId)}`}>{n.Subject}</Link> : n.Subject}</td>
                <td data-label={t('delivery')}>
                  <span className={`status ${n.State === 'sent' ? 's1' : n.State === 'failed' ? 's2' : 's0'}`}>{state(n.State)}</span>
                  {n.EmailState !== 'none' ? <div className="muted">{t('email')}: {state(n.EmailState)}</div> : null}
                  {n.WebhookState !== 'none' ? <div className="muted">Webhook: {state(n.WebhookState)}</div> : null}
                  {n.LastError ? <div className="muted wrap">{n.LastError}</div> : null}
                </td>
              </tr>
            ))}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ChannelsCard() {
  const { t } = useI18n();
  const [c, setC] = useState<Channels | null>(null);
  const [emails, setEmails] = useState('');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string[] | null>(null);
  const [tests, setTests] = useState<TestResult[] | null>(null);
  const [busy, setBusy] = useState(false);
  const show = (v: Channels) => {
    setC(v);
    setEmails(v.Emails.join('\n'));
    setUrl(v.WebhookUrl ?? '');
    setSecret('');
  };
  useEffect(() => { consoleGet('notify').then((r) => show(r as Channels), setError); }, []);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    setTests(null);
    try {
      const body: Record<string, unknown> = { emails: emails.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean) };
      if (url.trim()) body.webhookUrl = url.trim();
      else if (c?.WebhookUrl) body.webhookUrl = null;
      if (secret) body.webhookSecret = secret;
      const r = await consolePost('notify/set', body) as Channels;
      show(r);
      setSaved(r.Warnings ?? []);
    } catch (err) {
      setError(err);
    }
  };
  const test = async () => {
    setError(null);
    setSaved(null);
    setBusy(true);
    try {
      setTests(((await consolePost('notify/test')).Results ?? []) as TestResult[]);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!c) return <section className="card"><h2>{t('channels')}</h2><ErrorBox error={error} />{error ? null : <p aria-busy="true">{t('loading')}</p>}</section>;
  const none = c.Emails.length === 0 && !c.WebhookUrl;
  return (
    <section aria-labelledby="h-channels" className="card">
      <h2 id="h-channels">{t('channels')}</h2>
      <p className="muted">{t('channelsIntro')}</p>
      {none ? <p className="notice">{c.UsesDefault ? t('usesDefault') : t('noChannel')}</p> : null}
      {!c.CanChange ? <p className="muted">{t('channelsRootOnly')}</p> : null}
      <ErrorBox error={error} />
      <form className="form" onSubmit={(e) => void save(e)}>
        <label htmlFor="ch-emails">{t('emails')}</label>
        <textarea id="ch-emails" rows={3} value={emails} readOnly={!c.CanChange} spellCheck={false} onChange={(e) => setEmails(e.target.value)} />
        <label htmlFor="ch-url">{t('webhookUrl')}</label>
        <input id="ch-url" type="url" value={url} readOnly={!c.CanChange} spellCheck={false} placeholder="https://hooks.example.com/certport" onChange={(e) => setUrl(e.target.value)} />
        {c.CanChange ? (
          <>
            <label htmlFor="ch-secret">{t('webhookSecret')}</label>
            <input id="ch-secret" type="password" autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />
          </>
        ) : null}
        {c.WebhookSecretSet ? <p className="hint">{t('webhookSecretSet')}</p> : null}
        {c.UpdatedAt ? <p className="hint">{t('channelsUpdated')}: {c.UpdatedAt}</p> : null}
        {c.CanChange ? (
          <div className="buttons">
            <button type="submit" className="primary">{t('save')}</button>
            {c.WebhookUrl ? <button type="button" onClick={() => setUrl('')}>{t('removeWebhook')}</button> : null}
            <button type="button" disabled={none || busy} onClick={() => void test()}>{t('sendTest')}</button>
          </div>
        ) : null}
      </form>
      {saved ? <div role="status" className="notice">{t('saved')}{saved.map((w) => <div key={w}>{w}</div>)}</div> : null}
      {tests ? (
        <ul role="status" aria-label={t('testSent')} className="plain checks" data-testid="test-results">
          {tests.map((r) => (
            <li key={r.Channel}><strong>{r.Channel === 'email' ? t('email') : 'Webhook'}</strong> {r.Target}: <span className={`status ${r.Ok ? 's1' : 's2'}`}>{r.Ok ? t('testOk') : t('testFailed')}</span> <span className="muted wrap">{r.Detail}</span></li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
