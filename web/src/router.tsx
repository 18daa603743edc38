// A small router over the History API: the console's few pages need no more.
import { createContext, useContext, useEffect, useState, type MouseEvent, type ReactNode } from 'react';

const BASE = '/console';
const Ctx = createContext<{ path: string; search: URLSearchParams; go: (to: string) => void }>({ path: '/', search: new URLSearchParams(), go: () => {} });

function current() {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { path: p === '' ? '/' : p, search: new URLSearchParams(location.search) };
}

export function Router({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const pop = () => setLoc(current());
    addEventListener('popstate', pop);
    return () => removeEventListener('popstate', pop);
  }, []);
  const go = (to: string) => {
    history.pushState(null, '', BASE + to);
    setLoc(current());
    scrollTo(0, 0);
  };
  return <Ctx.Provider value={{ ...loc, go }}>{children}</Ctx.Provider>;
}

export const useRoute = () => useContext(Ctx);

/** `pattern` like /certificates/:id; the params when the path matches. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.startsWith(':')) out[a[i]!.slice(1)] = decodeURIComponent(b[i]!);
    else if (a[i] !== b[i]) return null;
  }
  return out;
}

/** A real link (opens in a new tab, shows its address) that navigates in place on a plain click. */
export function Link({ to, children, className, ...rest }: { to: string; children: ReactNode; className?: string; 'aria-current'?: 'page' | undefined }) {
  const { go } = useRoute();
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(to);
  };
  return <a href={BASE + to} onClick={click} className={className} {...rest}>{children}</a>;
}
