// Test support: the console's API as the web app calls it (fetch, its cookie, its CSRF token).
export interface ConsoleAnswer { status: number; headers: Headers; body: { Response: Record<string, any> } }

export class ConsoleClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string, readonly headers: Record<string, string> = {}) {}

  async call(method: 'GET' | 'POST', path: string, body?: unknown, extra: Record<string, string> = {}): Promise<ConsoleAnswer> {
    const res = await fetch(`${this.base}/console/api/${path}`, {
      method,
      headers: {
        ...this.headers,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(method === 'POST' ? { 'content-type': 'application/json', ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}) } : {}),
        ...extra,
      },
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, headers: res.headers, body: await res.json() as ConsoleAnswer['body'] };
  }

  async login(userName: string, password: string, account = ''): Promise<ConsoleAnswer> {
    const r = await this.call('POST', 'login', { Account: account, UserName: userName, Password: password });
    if (r.status === 200 && r.body.Response.CsrfToken) this.csrf = r.body.Response.CsrfToken as string;
    return r;
  }

  /** An action through the console; throws on an error envelope (like the SDK). */
  async action(name: string, params: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const r = await this.call('POST', name, params);
    if (r.status !== 200 || r.body.Response.Error) throw Object.assign(new Error(`${name}: HTTP ${r.status} ${JSON.stringify(r.body.Response.Error)}`), { code: r.body.Response.Error?.Code, status: r.status });
    return r.body.Response;
  }
}
