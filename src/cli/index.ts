// `certport` command line: serve, and account/key administration on the same configuration.
import { ConfigError, loadConfig } from '../config/config.js';
import { isServiceError } from '../domain/errors.js';
import type { Core } from '../main.js';
import { openStorage, type Storage } from '../storage.js';
import { RESOURCE_USAGE, resourceCommand } from './resource.js';
import { NOTIFY_USAGE, notifyCommand } from './notify.js';
import { HOSTING_USAGE, hostingCommand } from './hosting.js';
import { BACKUP_USAGE, backupCommand, restoreCommand } from './backup.js';
import { MASTER_KEY_USAGE, masterKeyCommand } from './master-key.js';
import { TLS_USAGE, tlsCommand } from './tls.js';
import { ACME_USAGE, acmeCommand } from './acme.js';
import { PACKAGES_USAGE, packagesCommand } from './packages.js';
import { reasonName, type RevocationRecord } from '../domain/revocation.js';

const USAGE = `usage: certport <command>
  serve                                   start the API server (CERTPORT_* environment)
  account create [--name N] [--json]      create an account with its first API key
  account list [--json]                   list accounts
  account disable|enable UIN              stop (or restart) an account: its API keys, ACME accounts and bindings
  user create --account UIN [--name N] [--password-file F | --password P] [--operator] [--json]
                                          create a sub-user (SubAccountUin), with a console password if given
  user password --account UIN [--user SUB_UIN] [--password-file F]   set a console password (stdin without a file)
  user operator --account UIN [--user SUB_UIN] --on|--off   make a console user an operator (order review, accounts, CA) or not
  user operators [--json]                 list console operators
  key create --account UIN [--user UIN] [--json]  create an API key (at most 2 per user)
  key list --account UIN [--json]         list API keys (SecretKeys are never shown)
  key disable|enable|delete SECRET_ID     change a key
  ca show [--chain]                       print certport's root certificate (PEM); --chain adds the intermediates
  orders list [--account UIN] [--status N] [--json]   paid (OV/EV) orders, newest first
  orders show ID [--letter FILE] [--json]  an order with everything submitted (--letter saves the confirmation letter)
  orders approve ID [--reviewer NAME]     approve: domain validation starts, issuance follows
  orders reject ID --reason TEXT [--reviewer NAME]   reject (status 2, the reason in StatusMsg)
  orders revocations [--state S] [--account UIN] [--json]   revocations (state pending-confirmation: OV/EV letters to check)
  orders confirm-revoke ID [--reviewer NAME]        confirm an OV/EV revocation whose letter is in (status 10)
  orders cancel-revoke ID --reason TEXT             decline a pending revocation (the certificate is 1 again)
  certificates revoke ID [--reason NAME|CODE] [--operator NAME] [--json]   revoke now (no proof, no letter); keyCompromise revokes the key's other certificates${RESOURCE_USAGE}${NOTIFY_USAGE}${HOSTING_USAGE}${BACKUP_USAGE}${MASTER_KEY_USAGE}${TLS_USAGE}${ACME_USAGE}${PACKAGES_USAGE}`;

/** Flags that take no value. */
const SWITCHES = new Set(['--json', '--chain', '--force', '--ca', '--on', '--off', '--operator']);

function flags(args: string[]) {
  const out: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('--') && !SWITCHES.has(a)) { out[a.slice(2)] = next; i++; } else out[a.slice(2)] = true;
    } else rest.push(a);
  }
  return { f: out, rest };
}

/** The whole core as a Storage (the same services, already built). */
function coreStorage(core: Core): Storage {
  return {
    config: core.config, stores: core.stores, clock: core.services.clock,
    accounts: async () => core.services.accounts, notices: async () => core.notices, resources: async () => core.services.resources,
    console: async () => core.console, packages: async () => core.services.packages,
    close: () => core.close(),
  };
}

/** A console password: --password P (tests), --password-file F, or stdin; one trailing newline dropped. */
async function readPassword(f: Record<string, string | true>): Promise<string> {
  if (typeof f.password === 'string') return f.password;
  const { readFileSync } = await import('node:fs');
  const text = typeof f['password-file'] === 'string' ? readFileSync(f['password-file'], 'utf8') : readFileSync(0, 'utf8');
  return text.replace(/\r?\n$/, '');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...more] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const config = loadConfig();
  if (cmd === 'serve') {
    const { servePrimary, isProcessOfMany, READY } = await import('./processes.js');
    if (config.processes > 1 && !isProcessOfMany()) {
      await servePrimary(config.processes, (m) => console.error(m));
      return -1;
    }
    const svc = await (await import('../main.js')).startService(config);
    const stop = async () => {
      await svc.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (isProcessOfMany()) process.send!(READY);
    return -1;
  }
  // Neither opens the service: a backup runs beside it, a restore needs an empty target.
  if (cmd === 'backup' || cmd === 'restore') {
    const { f, rest } = flags(argv.slice(1));
    return await (cmd === 'backup' ? backupCommand : restoreCommand)(config, rest, f.force === true, f.json === true);
  }
  const { f, rest } = flags(more);
  const json = f.json === true;
  // Commands that read or change a row or two open the database alone (storage.ts, ~0.3 s);
  // the others load the whole core (the CA, orders, deployment: ~1.5 s).
  const light = ['account', 'user', 'key', 'notify', 'packages'].includes(cmd) || (cmd === 'resource' && sub !== 'test');
  const core: Core | null = light ? null : await (await import('../main.js')).openCore(config);
  const st: Storage = core ? coreStorage(core) : await openStorage(config);
  try {
    const acc = () => st.accounts();
    const need = (k: string) => {
      const v = f[k];
      if (typeof v !== 'string') throw new Error(`--${k} is required`);
      return v;
    };
    if (cmd === 'account' && sub === 'create') {
      const c = await (await acc()).createAccount(typeof f.name === 'string' ? f.name : 'account');
      console.log(json ? JSON.stringify({ Uin: c.accountUin, SecretId: c.secretId, SecretKey: c.secretKey })
        : `Uin ${c.accountUin}\nSecretId ${c.secretId}\nSecretKey ${c.secretKey}`);
    } else if (cmd === 'account' && sub === 'list') {
      const list = await st.stores.accounts.listAccounts();
      console.log(json ? JSON.stringify(list.map((a) => ({ Uin: a.uin, Name: a.name, Status: a.status })))
        : list.map((a) => `${a.uin}\t${a.status}\t${a.name}`).join('\n'));
    } else if (cmd === 'account' && (sub === 'disable' || sub === 'enable')) {
      const uin = rest[0];
      if (!uin) throw new Error('a Uin is required');
      await (await acc()).setAccountStatus(uin, sub === 'disable' ? 'disabled' : 'active');
      if (!json) console.log(`${uin} ${sub}d`);
    } else if (cmd === 'acme') {
      return await acmeCommand(core!, sub, rest, f, json);
    } else if (cmd === 'user' && sub === 'create') {
      const password = f.password !== undefined || f['password-file'] !== undefined ? await readPassword(f) : null;
      const u = await (await st.console()).createUser(need('account'), typeof f.name === 'string' ? f.name : 'user', password);
      if (f.operator === true) await (await st.console()).setOperator(u.accountUin, u.uin, true);
      console.log(json ? JSON.stringify({ SubAccountUin: u.uin, UserName: u.name, IsOperator: f.operator === true }) : u.uin);
    } else if (cmd === 'user' && sub === 'operator') {
      const account = need('account');
      if ((f.on === true) === (f.off === true)) throw new Error('say --on or --off');
      const user = typeof f.user === 'string' ? f.user : account;
      await (await st.console()).setOperator(account, user, f.on === true);
      if (!json) console.log(`${user} is ${f.on === true ? 'now' : 'no longer'} a console operator`);
    } else if (cmd === 'user' && sub === 'operators') {
      const list = await (await st.console()).listOperators();
      console.log(json ? JSON.stringify(list.map((o) => ({ SubAccountUin: o.userUin, Uin: o.accountUin, GrantedAt: new Date(o.grantedAt).toISOString() })))
        : list.map((o) => `${o.userUin}\t${o.accountUin}\t${new Date(o.grantedAt).toISOString()}`).join('\n'));
    } else if (cmd === 'user' && sub === 'password') {
      const account = need('account');
      await (await st.console()).setPassword(account, typeof f.user === 'string' ? f.user : account, await readPassword(f));
      if (!json) console.log('password set; the user\'s console sessions have ended');
    } else if (cmd === 'key' && sub === 'create') {
      const account = need('account');
      const c = await (await acc()).createKey(account, typeof f.user === 'string' ? f.user : account);
      console.log(json ? JSON.stringify({ Uin: c.accountUin, SubAccountUin: c.userUin, SecretId: c.secretId, SecretKey: c.secretKey })
        : `SecretId ${c.secretId}\nSecretKey ${c.secretKey}`);
    } else if (cmd === 'key' && sub === 'list') {
      const keys = await (await acc()).listKeys(need('account'));
      console.log(json ? JSON.stringify(keys.map((k) => ({ SecretId: k.secretId, Uin: k.accountUin, SubAccountUin: k.userUin, Status: k.status, CreatedAt: new Date(k.createdAt).toISOString() })))
        : keys.map((k) => `${k.secretId}\t${k.userUin}\t${k.status}`).join('\n'));
    } else if (cmd === 'orders') {
      const { revocationJson } = await import('../api/admin/revocations.js');
      const paid = core!.services.paid;
      const reviewer = typeof f.reviewer === 'string' ? f.reviewer : (process.env.USER ?? 'operator');
      if (sub === 'list') {
        const list = await paid.list({
          ...(typeof f.account === 'string' ? { accountUin: f.account } : {}),
          ...(typeof f.status === 'string' ? { statuses: [Number(f.status)] } : {}),
        });
        const rows = list.map(({ cert, order }) => ({
          CertificateId: cert.id, Uin: cert.accountUin, Status: cert.status, StatusMsg: cert.statusMsg, ProductId: order.productId,
          Product: cert.productZhName, Domain: cert.domain, DealId: order.dealId, Letter: order.letterType, CreatedAt: new Date(order.createdAt).toISOString(),
        }));
        console.log(json ? JSON.stringify(rows) : rows.map((r) => `${r.CertificateId}\t${r.Status}\t${r.Uin}\t${r.Domain || '-'}\t${r.Product}`).join('\n'));
      } else if (sub === 'show') {
        const id = rest[0];
        if (!id) throw new Error('a certificate id is required');
        const { cert, order } = await paid.find(id);
        const letter = paid.letter(order);
        if (typeof f.letter === 'string' && letter) {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(f.letter, letter.body, { mode: 0o600 });
        }
        const out = {
          CertificateId: cert.id, Uin: cert.accountUin, Status: cert.status, StatusMsg: cert.statusMsg, ProductId: order.productId,
          Product: cert.productZhName, DealId: order.dealId, Domains: cert.sans, Submitted: order.submitted, CsrUploaded: order.csrPem !== null,
          Letter: letter ? { type: letter.type, bytes: letter.body.length } : null, ReviewedBy: order.reviewedBy, ReviewNote: order.reviewNote,
        };
        console.log(json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
      } else if (sub === 'revocations') {
        const list = await core!.services.revocations.list({
          ...(typeof f.state === 'string' ? { states: [f.state as RevocationRecord['state']] } : {}), ...(typeof f.account === 'string' ? { accountUin: f.account } : {}), limit: 500,
        });
        const rows = list.map(revocationJson);
        console.log(json ? JSON.stringify(rows) : rows.map((r) => `${r.CertificateId}\t${r.State}\t${r.Uin}\t${r.Reason}\t${r.Letter ?? '-'}`).join('\n'));
      } else if (sub === 'confirm-revoke' || sub === 'cancel-revoke') {
        const id = rest[0];
        if (!id) throw new Error('a certificate id is required');
        if (sub === 'confirm-revoke') await core!.services.revocations.confirm(reviewer, id);
        else await core!.services.revocations.cancel(reviewer, id, typeof f.reason === 'string' ? f.reason : (() => { throw new Error('--reason is required'); })());
        const r = await core!.services.revocations.get(id);
        console.log(json ? JSON.stringify(revocationJson(r!)) : `${id} ${r!.state}`);
      } else if (sub === 'approve' || sub === 'reject') {
        const id = rest[0];
        if (!id) throw new Error('a certificate id is required');
        if (sub === 'approve') await paid.approve(reviewer, id);
        else await paid.reject(reviewer, id, typeof f.reason === 'string' ? f.reason : (() => { throw new Error('--reason is required'); })());
        if (!json) console.log(`${id} ${sub}d`);
      } else {
        console.error(USAGE);
        return 2;
      }
    } else if (cmd === 'certificates' && sub === 'revoke') {
      const { revocationJson } = await import('../api/admin/revocations.js');
      const id = rest[0];
      if (!id) throw new Error('a certificate id is required');
      const operator = typeof f.operator === 'string' ? f.operator : (process.env.USER ?? 'operator');
      const r = await core!.services.revocations.revokeAsOperator(operator, id, typeof f.reason === 'string' ? f.reason : undefined);
      console.log(json ? JSON.stringify(revocationJson(r)) : `${id} ${r.state} (${reasonName(r.reason)})`);
    } else if (cmd === 'packages') {
      return await packagesCommand(await st.packages(), sub, f, rest, json);
    } else if (cmd === 'notify') {
      return await notifyCommand(await st.notices(), sub, more);
    } else if (cmd === 'resource') {
      return await resourceCommand(await st.resources(), sub, f, rest, json);
    } else if (cmd === 'master-key') {
      return await masterKeyCommand(core!, sub, f, json);
    } else if (cmd === 'tls') {
      return await tlsCommand(core!, sub, json);
    } else if (cmd === 'hosting') {
      return await hostingCommand(core!.services.hosting, sub, f, rest, json);
    } else if (cmd === 'ca' && sub === 'show') {
      process.stdout.write(core!.ca.rootPem.trim() + '\n');
      if (f.chain === true) {
        for (const name of ['rsa-intermediate.pem', 'ecc-intermediate.pem']) process.stdout.write(core!.ca.files.get(name)!.body.toString());
      }
    } else if (cmd === 'key' && (sub === 'disable' || sub === 'enable' || sub === 'delete')) {
      const id = rest[0];
      if (!id) throw new Error('a SecretId is required');
      if (sub === 'delete') await (await acc()).deleteKey(id);
      else await (await acc()).setKeyStatus(id, sub === 'disable' ? 'disabled' : 'active');
      if (!json) console.log(`${id} ${sub}d`);
    } else {
      console.error(USAGE);
      return 2;
    }
    return 0;
  } finally {
    await st.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof ConfigError || isServiceError(e) || e instanceof Error) console.error(`certport: ${(e as Error).message}`);
    else console.error('certport: failed', e);
    process.exitCode = 1;
  },
);
