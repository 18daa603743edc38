import { useEffect, useState } from 'react';
import { logout, onSignedOut, whoami, type Who } from './api';
import { useI18n, type Lang } from './i18n';
import { Link, match, useRoute } from './router';
import { Login } from './pages/Login';
import { Certificates } from './pages/Certificates';
import { Certificate } from './pages/Certificate';
import { Apply } from './pages/Apply';
import { Upload } from './pages/Upload';
import { Keys } from './pages/Keys';
import { Users } from './pages/Users';
import { Dashboard } from './pages/Dashboard';
import { Csrs } from './pages/Csrs';
import { ErrorBox } from './ui';
import { Deployments } from './pages/Deployments';
import { Notices } from './pages/Notices';
import { extraNav, extraPage } from './extra-routes';

function Page({ path, who }: { path: string; who: Who }) {
  const { t } = useI18n();
  const extra = extraPage(path, who);
  if (extra) return extra;
  if (path === '/' || path === '/certificates') return <Certificates />;
  const cert = match('/certificates/:id', path);
  if (cert) return <Certificate id={cert.id!} />;
  if (path === '/dashboard') return <Dashboard />;
  if (path === '/apply') return <Apply />;
  if (path === '/upload') return <Upload />;
  if (path === '/csrs') return <Csrs />;
  if (path === '/keys') return <Keys />;
  if (path === '/users') return <Users />;
  if (path === '/deployments') return <Deployments />;
  if (path === '/notices') return <Notices />;
  return <main id="main"><p>{t('notFoundPage')}</p><Link to="/">{t('backToList')}</Link></main>;
}

export function App() {
  const { t, lang, setLang } = useI18n();
  const { path } = useRoute();
  const [who, setWho] = useState<Who | null | undefined>(undefined);
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { whoami().then(setWho, (e: unknown) => { setError(e); setWho(null); }); }, []);
  useEffect(() => onSignedOut(() => { setWho(null); setNotice(t('sessionEnded')); }), [lang]);

  const langSwitch = (
    <div className="lang">
      <label htmlFor="lang">{t('language')}</label>
      <select id="lang" value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="en">English</option>
        <option value="zh-CN">简体中文</option>
      </select>
    </div>
  );
  if (who === undefined) return <p aria-busy="true" className="boot">{t('loading')}</p>;
  if (who === null) {
    return (
      <>
        <header className="top"><span className="brand">{t('appName')}</span>{langSwitch}</header>
        <ErrorBox error={error} />
        <Login notice={notice} onSignedIn={(w) => { setNotice(''); setWho(w); }} />
      </>
    );
  }
  const nav: [string, string][] = [['/dashboard', t('dashboard')], ['/', t('navCertificates')], ['/apply', t('navApply')], ['/upload', t('navUpload')], ['/csrs', t('csrs')], ['/keys', t('navKeys')],
    ...(who.IsRoot ? [['/users', t('navUsers')] as [string, string]] : []),
    ...extraNav(who, t)];
  // Deployments and notices, before the API keys.
  nav.splice(nav.findIndex(([to]) => to === '/keys'), 0, ['/deployments', t('navDeployments')], ['/notices', t('navNotices')]);
  const here = (to: string) => (to === '/' ? path === '/' || path.startsWith('/certificates') : path === to || (to.startsWith('/operator/') && path.startsWith(`${to}/`)));
  const out = async (everywhere: boolean) => {
    await logout(everywhere).catch(() => {});
    setWho(null);
  };
  return (
    <>
      <a href="#main" className="skip">{t('skip')}</a>
      <header className="top">
        <span className="brand">{t('appName')}</span>
        <nav aria-label={t('mainNav')}>
          <ul>{nav.map(([to, label]) => <li key={to}><Link to={to} aria-current={here(to) ? 'page' : undefined}>{label}</Link></li>)}</ul>
        </nav>
        <div className="user">
          <span className="muted">{t('signedInAs', { name: who.UserName })} ({who.SubAccountUin})</span>
          <button type="button" onClick={() => void out(false)}>{t('signOut')}</button>
          <button type="button" onClick={() => void out(true)}>{t('signOutEverywhere')}</button>
        </div>
        {langSwitch}
      </header>
      <Page path={path} who={who} />
    </>
  );
}
