// CLI commands that touch a row or two open the database alone (issue 22: every command took
// 1.5–9 s, loading all of certport and setting up the CA, so registering 50 resources needed
// the HTTP endpoint). No timing here (bench/cli.ts measures it): the real CLI runs under a
// module hook that records every module it loads, and the one-row commands must not load the
// composition root, the HTTP server, the ACME client or the certificate packaging code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CLI_ARGS } from '../testing/cli.js';
import { BACKENDS, PG_URL } from '../testing/harness.js';
import { dropPgSchema } from '../store/db.js';

/** Modules the whole core needs and a one-row command does not. */
const HEAVY = [/\/src\/main\.js$/, /\/node_modules\/fastify\//, /\/node_modules\/acme-client\//, /\/src\/pki\/cpu-tasks\.js$/, /\/src\/ca\/embedded\/issuer\.js$/, /\/src\/api\//];

for (const backend of BACKENDS) {
  describe(`one-row CLI commands load only the storage (${backend})`, () => {
    let dir: string;
    let env: Record<string, string>;
    const schema = 'light_' + process.pid;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'certport-cli-light-'));
      env = { CERTPORT_DATA_DIR: dir, CERTPORT_LOG_LEVEL: 'silent', ...(backend === 'postgres' ? { CERTPORT_DATABASE_URL: PG_URL, CERTPORT_DATABASE_SCHEMA: schema } : {}) };
      const hooks = path.join(dir, 'hooks.mjs');
      await writeFile(hooks, `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.CERTPORT_TEST_TRACE, r.url + '\\n');
  return r;
}\n`);
      await writeFile(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    });
    after(async () => {
      if (backend === 'postgres') await dropPgSchema(PG_URL, schema);
      await rm(dir, { recursive: true, force: true });
    });

    /** Runs `certport …args`; returns its output and the modules it loaded. */
    const traced = async (...args: string[]) => {
      const trace = path.join(dir, `trace-${args.slice(0, 2).join('-')}-${Date.now()}.txt`);
      const r = await promisify(execFile)(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, ...CLI_ARGS, ...args],
        { env: { ...process.env, ...env, CERTPORT_TEST_TRACE: trace } });
      return { stdout: r.stdout, loaded: (await readFile(trace, 'utf8')).split('\n').filter(Boolean) };
    };
    const light = (loaded: string[]) => loaded.filter((u) => HEAVY.some((h) => h.test(u)));

    test('account create/list, key list, notify show, resource add/update/list: the right answers, none of the heavy modules', async () => {
      // A fresh database gets its CA made once (what later starts check the master key against).
      const created = await traced('account', 'create', '--name', 'light', '--json');
      const acc = JSON.parse(created.stdout) as { Uin: string; SecretId: string };
      assert.match(acc.Uin, /^\d+$/);
      const runs = [
        await traced('account', 'list', '--json'),
        await traced('key', 'list', '--account', acc.Uin, '--json'),
        await traced('notify', 'show', '--account', acc.Uin, '--json'),
        await traced('resource', 'add', '--account', acc.Uin, '--name', 'hook', '--type', 'clb', '--deployer', 'webhook',
          '--config', '{"url":"https://deploy.light.test/hook","timeoutMs":5000}', '--secrets', '{"hmacSecret":"0123456789abcdef0123"}', '--json'),
      ];
      assert.ok((JSON.parse(runs[0]!.stdout) as { Uin: string }[]).some((a) => a.Uin === acc.Uin));
      assert.deepEqual((JSON.parse(runs[1]!.stdout) as { SecretId: string }[]).map((k) => k.SecretId), [acc.SecretId]);
      assert.equal((JSON.parse(runs[2]!.stdout) as { accountUin: string }).accountUin, acc.Uin);
      const r = JSON.parse(runs[3]!.stdout) as { id: string };
      runs.push(await traced('resource', 'update', r.id, '--config', '{"url":"https://deploy.light.test/v2"}', '--json'));
      const updated = JSON.parse(runs[4]!.stdout) as { config: { url: string; timeoutMs: number } };
      assert.deepEqual([updated.config.url, updated.config.timeoutMs], ['https://deploy.light.test/v2', 5000]);
      runs.push(await traced('resource', 'list', '--account', acc.Uin, '--json'));
      assert.deepEqual((JSON.parse(runs[5]!.stdout) as { id: string }[]).map((x) => x.id), [r.id]);
      for (const run of [created, ...runs]) {
        assert.ok(run.loaded.some((u) => u.endsWith('/src/storage.js')), 'the storage helper was used');
        // Only the very first command on a fresh database makes the CA, as `serve` would.
        assert.deepEqual(light(run.loaded).filter((u) => run !== created || !u.includes('/src/ca/embedded/')), [], 'no heavy module loaded');
      }
      // The commands that need everything still get it.
      const orders = await traced('orders', 'list', '--json');
      assert.deepEqual(JSON.parse(orders.stdout), []);
      assert.ok(orders.loaded.some((u) => u.endsWith('/src/main.js')));
    });
  });
}
