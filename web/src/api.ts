// The console's API (/console/api): the session's CSRF token is kept in memory only and sent
// in X-CSRF-Token with every POST; the session itself is an HttpOnly cookie script never sees.
export interface Who {
  Uin: string;
  SubAccountUin: string;
  UserName: string;
  IsRoot: boolean;
  /** A console operator (the admin role, granted with `certport user operator`). */
  IsOperator?: boolean;
  CsrfToken: string;
  ExpiresAt: string;
  IdleExpiresAt: string;
}

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number, readonly requestId: string) {
    super(message);
  }
}

let csrf = '';
const signedOutListeners = new Set<() => void>();
/** Called when the server says the session has ended (HTTP 401 on anything but sign-in). */
export function onSignedOut(fn: () => void): () => void {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
}

export type Json = Record<string, any>;

export async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`/console/api/${path}`, {
    method,
    credentials: 'same-origin',
    headers: method === 'POST' ? { 'content-type': 'application/json', 'x-csrf-token': csrf } : {},
    ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  let data: { Response?: Json };
  try {
    data = await res.json() as { Response?: Json };
  } catch {
    throw new ApiError('InternalError', `HTTP ${res.status}`, res.status, '');
  }
  const r = data.Response ?? {};
  if (r.Error) {
    if (res.status === 401 && path !== 'login' && path !== 'whoami') signedOutListeners.forEach((fn) => fn());
    throw new ApiError(String(r.Error.Code), String(r.Error.Message), res.status, String(r.RequestId ?? ''));
  }
  return r;
}

export async function whoami(): Promise<Who | null> {
  try {
    const w = await request('GET', 'whoami') as Who;
    csrf = w.CsrfToken;
    return w;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function login(account: string, userName: string, password: string): Promise<Who> {
  const w = await request('POST', 'login', { Account: account, UserName: userName, Password: password }) as Who;
  csrf = w.CsrfToken;
  return w;
}

export async function logout(everywhere = false): Promise<void> {
  await request('POST', everywhere ? 'logout-everywhere' : 'logout');
  csrf = '';
}

/** Any API action, with the same parameters and answers as the signed API. */
export function action<T = Json>(name: string, params: Json = {}): Promise<T> {
  return request('POST', name, params) as Promise<T>;
}

export const keys = {
  list: () => request('GET', 'keys'),
  change: (change: 'create' | 'disable' | 'enable' | 'delete', params: Json = {}) => request('POST', `keys/${change}`, params),
};
export const users = {
  list: () => request('GET', 'users'),
  create: (UserName: string, Password: string) => request('POST', 'users/create', { UserName, Password }),
};
/** The console's own endpoints beside the actions: notices, channels, the account's deploy records. */
export const consoleGet = (path: string) => request('GET', path);
export const consolePost = (path: string, body: Json = {}) => request('POST', path, body);
