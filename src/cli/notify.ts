// `certport notify show|set|test|list`: the operator sets where an account's notices go (email
// addresses, a signed webhook), tries them, and reads what was sent.
import { readFileSync } from 'node:fs';
import type { NoticeService } from '../notify/notices.js';

export const NOTIFY_USAGE = `
  notify show --account UIN [--json]              where the account's notices go (the webhook secret is never shown)
  notify set --account UIN [--email ADDR]... [--no-email] [--webhook-url URL --webhook-secret S|@FILE] [--no-webhook] [--json]
                                                  change the channels; what is not named stays as it is
  notify test --account UIN [--json]              send a test notice to every channel now and print the outcome
  notify list --account UIN [--cert ID] [--limit N] [--json]   recent notices and how their delivery went`;

/** `--email` may repeat; `--no-email` and `--no-webhook` take no value. */
function parse(args: string[]) {
  const values: Record<string, string[]> = {};
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const name = a.slice(2);
    if (['json', 'no-email', 'no-webhook'].includes(name)) {
      switches.add(name);
      continue;
    }
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    (values[name] ??= []).push(v);
    i++;
  }
  return { values, switches };
}

export async function notifyCommand(notices: NoticeService, sub: string | undefined, args: string[]): Promise<number> {
  const { values, switches } = parse(args);
  const json = switches.has('json');
  const one = (k: string) => {
    const v = values[k];
    if (v && v.length > 1) throw new Error(`--${k} may be given once`);
    return v?.[0];
  };
  const account = () => {
    const v = one('account');
    if (!v) throw new Error('--account is required');
    return v;
  };
  const show = (c: Awaited<ReturnType<NoticeService['getChannels']>>) =>
    [`account  ${c.accountUin}`, `email    ${c.emails.join(', ') || '-'}`,
      `webhook  ${c.webhookUrl ? `${c.webhookUrl} (secret ${c.webhookSecretSet ? 'set' : 'missing'})` : '-'}`,
      ...(c.usesDefault ? ['(no channel of its own: notices go to the operator default, CERTPORT_NOTIFY_DEFAULT_*)'] : [])].join('\n');

  if (sub === 'show') {
    const c = await notices.getChannels(account());
    console.log(json ? JSON.stringify(c) : show(c));
    return 0;
  }
  if (sub === 'set') {
    const uin = account();
    if (switches.has('no-email') && values.email) throw new Error('--email and --no-email contradict each other');
    if (switches.has('no-webhook') && (values['webhook-url'] || values['webhook-secret'])) throw new Error('--webhook-url/--webhook-secret and --no-webhook contradict each other');
    let secret = one('webhook-secret');
    if (secret?.startsWith('@')) secret = readFileSync(secret.slice(1), 'utf8').replace(/\r?\n$/, '');
    const url = one('webhook-url');
    const { channels, warnings } = await notices.setChannels(uin, {
      ...(values.email ? { emails: values.email.flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean) } : {}),
      ...(switches.has('no-email') ? { emails: [] } : {}),
      ...(url !== undefined ? { webhookUrl: url } : {}),
      ...(switches.has('no-webhook') ? { webhookUrl: null } : {}),
      ...(secret !== undefined ? { webhookSecret: secret } : {}),
    });
    for (const w of warnings) console.error(`certport: warning: ${w}`);
    console.log(json ? JSON.stringify(channels) : show(channels));
    return 0;
  }
  if (sub === 'test') {
    const results = await notices.sendTest(account());
    console.log(json ? JSON.stringify(results) : results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.channel} ${r.target}: ${r.detail}`).join('\n'));
    return results.every((r) => r.ok) ? 0 : 1;
  }
  if (sub === 'list') {
    const limitRaw = one('limit') ?? '20';
    if (!/^\d+$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 1000) throw new Error('--limit must be 1 to 1000');
    const cert = one('cert');
    const list = await notices.listNotices(account(), { limit: Number(limitRaw), ...(cert ? { certId: cert } : {}) });
    const rows = list.map((n) => ({
      id: n.id, kind: n.kind, certId: n.certId, key: n.key, subject: n.subject, state: n.state, email: n.channels.email, webhook: n.channels.webhook,
      attempts: n.attempts, lastError: n.lastError, createdAt: new Date(n.createdAt).toISOString(), sentAt: n.sentAt === null ? null : new Date(n.sentAt).toISOString(),
    }));
    console.log(json ? JSON.stringify(rows) : rows.map((r) => [r.id, r.createdAt, r.kind, r.certId || '-', r.state, `email:${r.email}`, `webhook:${r.webhook}`, r.subject].join('\t')).join('\n'));
    return 0;
  }
  console.error(`usage:${NOTIFY_USAGE}`);
  return 2;
}
