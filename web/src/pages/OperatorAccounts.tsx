// Operators: every account, its users (console password, operator flag), and disabling or
// enabling an account (its API keys, ACME accounts and console sign-ins stop), as `certport
// account disable|enable` does.
import { useEffect, useState } from 'react';
import { operator } from '../operator-api';
import { useI18n } from '../i18n';
import { ErrorBox } from '../ui';

interface Account { Uin: string; Name: string; Status: string; CreatedAt: string }
interface User { SubAccountUin: string; UserName: string; IsRoot: boolean; HasPassword: boolean; IsOperator: boolean; CreatedAt: string }

export function OperatorAccounts({ self }: { self: string }) {
  const { t } = useI18n();
  const [list, setList] = useState<Account[] | null>(null);
  const [open, setOpen] = useState('');
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => operator.accounts().then((r) => setList(r.Accounts as Account[]), setError);
  useEffect(() => { void load(); }, []);
  const show = async (uin: string) => {
    setOpen(uin);
    setUsers(null);
    try {
      setUsers((await operator.users(uin)).Users as User[]);
    } catch (e) {
      setError(e);
    }
  };
  const change = async (uin: string, c: 'disable' | 'enable') => {
    setError(null);
    try {
      await operator.setAccount(uin, c);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const date = (s: string) => s.slice(0, 19).replace('T', ' ');
  return (
    <main id="main">
      <h1>{t('accountsTitle')}</h1>
      <ErrorBox error={error} />
      {!list ? <p aria-busy="true">{t('loading')}</p> : (
        <div className="table-wrap">
          <table aria-label={t('accountsTitle')} className="accounts">
            <thead><tr><th scope="col">Uin</th><th scope="col">{t('accountName')}</th><th scope="col">{t('status')}</th><th scope="col">{t('created')}</th><th scope="col">{t('actions')}</th></tr></thead>
            <tbody>{list.map((a) => (
              <tr key={a.Uin}>
                <td data-label="Uin"><code>{a.Uin}</code>{a.Uin === self ? <span className="muted"> ({t('accountYours')})</span> : null}</td>
                <td data-label={t('accountName')}>{a.Name}</td>
                <td data-label={t('status')}><span className={`status ${a.Status === 'active' ? 's1' : 's2'}`}>{a.Status === 'active' ? t('active') : t('disabled')}</span></td>
                <td data-label={t('created')}>{date(a.CreatedAt)}</td>
                <td data-label={t('actions')}>
                  <div className="buttons">
                    <button type="button" className="small" aria-expanded={open === a.Uin} aria-controls="account-users" onClick={() => void show(a.Uin)}>{t('accountUsers', { uin: a.Uin })}</button>
                    {a.Uin === self ? null : a.Status === 'active'
                      ? <button type="button" className="small danger" onClick={() => void change(a.Uin, 'disable')} aria-label={t('accountDisable', { uin: a.Uin })}>{t('disable')}</button>
                      : <button type="button" className="small" onClick={() => void change(a.Uin, 'enable')} aria-label={t('accountEnable', { uin: a.Uin })}>{t('enable')}</button>}
                  </div>
                </td>
              </tr>
            ))}</tbody>
          </table>
        </div>
      )}
      {open ? (
        <section id="account-users" aria-labelledby="h-acc-users" className="card">
          <h2 id="h-acc-users">{t('accountUsers', { uin: open })}</h2>
          {!users ? <p aria-busy="true">{t('loading')}</p> : (
            <div className="table-wrap">
              <table aria-label={t('accountUsers', { uin: open })}>
                <thead><tr><th scope="col">{t('newUserName')}</th><th scope="col">SubAccountUin</th><th scope="col">{t('userRole')}</th><th scope="col">{t('userPassword')}</th><th scope="col">{t('created')}</th></tr></thead>
                <tbody>{users.map((u) => (
                  <tr key={u.SubAccountUin}>
                    <td data-label={t('newUserName')}>{u.UserName}</td>
                    <td data-label="SubAccountUin"><code>{u.SubAccountUin}</code></td>
                    <td data-label={t('userRole')}>{[u.IsRoot ? t('rootUser') : t('subUser'), ...(u.IsOperator ? [t('operatorRole')] : [])].join(', ')}</td>
                    <td data-label={t('userPassword')}>{u.HasPassword ? t('yes') : t('no')}</td>
                    <td data-label={t('created')}>{date(u.CreatedAt)}</td>
                  </tr>
                ))}</tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}
    </main>
  );
}
