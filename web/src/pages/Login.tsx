import { useState, type FormEvent } from 'react';
import { ApiError, login, type Who } from '../api';
import { useI18n } from '../i18n';

export function Login({ onSignedIn, notice }: { onSignedIn: (w: Who) => void; notice: string }) {
  const { t } = useI18n();
  const [account, setAccount] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onSignedIn(await login(account.trim(), user.trim(), password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? `${t('throttled')} ${err.message}`
        : err instanceof ApiError && err.status === 401 ? t('badLogin') : String((err as Error).message));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">{t('signInTitle')}</h1>
        {notice ? <p className="notice" role="status">{notice}</p> : null}
        <label htmlFor="account">{t('account')}</label>
        <input id="account" name="account" inputMode="numeric" autoComplete="organization" value={account} onChange={(e) => setAccount(e.target.value)} aria-describedby="account-hint" />
        <p id="account-hint" className="hint">{t('accountHint')}</p>
        <label htmlFor="username">{t('userName')}</label>
        <input id="username" name="username" autoComplete="username" required value={user} onChange={(e) => setUser(e.target.value)} autoFocus />
        <label htmlFor="password">{t('password')}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {error ? <p className="error" role="alert">{error}</p> : null}
        <button type="submit" className="primary" disabled={busy}>{busy ? t('signingIn') : t('signIn')}</button>
      </form>
    </main>
  );
}
