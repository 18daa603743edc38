// The account's users (the root user only): sub-users with a console password.
import { useEffect, useState, type FormEvent } from 'react';
import { users } from '../api';
import { useI18n } from '../i18n';
import { ErrorBox } from '../ui';

interface User { SubAccountUin: string; UserName: string; CreatedAt: string }

export function Users() {
  const { t } = useI18n();
  const [list, setList] = useState<User[] | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [made, setMade] = useState('');
  const load = () => users.list().then((r) => setList(r.Users as User[]), setError);
  useEffect(() => { void load(); }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await users.create(name.trim(), password);
      setMade(`${r.UserName as string} (${r.SubAccountUin as string})`);
      setName('');
      setPassword('');
      await load();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <main id="main">
      <h1>{t('users')}</h1>
      <form onSubmit={submit} className="card form" aria-labelledby="h-new-user">
        <h2 id="h-new-user">{t('createUser')}</h2>
        <label htmlFor="n-name">{t('newUserName')}</label>
        <input id="n-name" required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        <label htmlFor="n-password">{t('password')}</label>
        <input id="n-password" type="password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
        <ErrorBox error={error} />
        {made ? <p role="status">{t('userCreated', { name: made })}</p> : null}
        <button type="submit" className="primary">{t('createUser')}</button>
      </form>
      {!list ? <p aria-busy="true">{t('loading')}</p> : (
        <div className="table-wrap">
          <table aria-label={t('users')}>
            <thead><tr><th scope="col">{t('newUserName')}</th><th scope="col">SubAccountUin</th><th scope="col">{t('created')}</th></tr></thead>
            <tbody>
              {list.map((u) => (
                <tr key={u.SubAccountUin}>
                  <td data-label={t('newUserName')}>{u.UserName}</td>
                  <td data-label="SubAccountUin"><code>{u.SubAccountUin}</code></td>
                  <td data-label={t('created')}>{u.CreatedAt.slice(0, 19).replace('T', ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
