import { useEffect, useState } from 'react';
import { keys } from '../api';
import { useI18n } from '../i18n';
import { CopyField, ErrorBox } from '../ui';

interface Key { SecretId: string; SubAccountUin: string; Status: string; CreatedAt: string }

export function Keys() {
  const { t } = useI18n();
  const [list, setList] = useState<Key[] | null>(null);
  const [created, setCreated] = useState<{ SecretId: string; SecretKey: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState('');
  const load = () => keys.list().then((r) => setList(r.Keys as Key[]), setError);
  useEffect(() => { void load(); }, []);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <main id="main">
      <h1>{t('keys')}</h1>
      <p>{t('keysIntro')}</p>
      <ErrorBox error={error} />
      <button type="button" className="primary" onClick={() => void run(async () => {
        const r = await keys.change('create');
        setCreated({ SecretId: r.SecretId as string, SecretKey: r.SecretKey as string });
      })}>{t('createKey')}</button>
      {created ? (
        <div className="card newkey" role="status">
          <p><strong>{t('newKey')}</strong></p>
          <CopyField label={t('secretId')} value={created.SecretId} />
          <CopyField label={t('secretKey')} value={created.SecretKey} />
        </div>
      ) : null}
      {!list ? <p aria-busy="true">{t('loading')}</p> : list.length === 0 ? <p>{t('noKeys')}</p> : (
        <div className="table-wrap">
          <table aria-label={t('keys')}>
            <thead><tr><th scope="col">{t('secretId')}</th><th scope="col">{t('user')}</th><th scope="col">{t('status')}</th><th scope="col">{t('created')}</th><th scope="col">{t('actions')}</th></tr></thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.SecretId}>
                  <td data-label={t('secretId')}><code>{k.SecretId}</code></td>
                  <td data-label={t('user')}>{k.SubAccountUin}</td>
                  <td data-label={t('status')}>{k.Status === 'active' ? t('active') : t('disabled')}</td>
                  <td data-label={t('created')}>{k.CreatedAt.slice(0, 19).replace('T', ' ')}</td>
                  <td data-label={t('actions')} className="buttons">
                    <button type="button" onClick={() => void run(() => keys.change(k.Status === 'active' ? 'disable' : 'enable', { SecretId: k.SecretId }))}>
                      {k.Status === 'active' ? t('disable') : t('enable')}
                    </button>
                    {confirming === k.SecretId ? (
                      <span role="alertdialog" aria-label={t('confirmDelete')} className="confirm">
                        <button type="button" className="danger" autoFocus onClick={() => { setConfirming(''); void run(() => keys.change('delete', { SecretId: k.SecretId })); }}>{t('confirm')}</button>
                        <button type="button" onClick={() => setConfirming('')}>{t('cancel')}</button>
                      </span>
                    ) : <button type="button" className="danger" onClick={() => setConfirming(k.SecretId)}>{t('remove')}</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
