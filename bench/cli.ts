// Benchmark: how long a `certport` command takes, start to exit (issue 22: 1.5–9 s each, so
// registering 50 resources needed the HTTP endpoint). Commands that touch a row or two, on SQLite
// and PostgreSQL, each run ROUNDS times; with CERTPORT_BENCH_BEFORE=<another build's
// dist/src/cli/index.js> the same commands run through that build too, alternating, so that the
// machine's load weighs on both alike. Prints min and median per command, and the load average.
// Then RESOURCES `resource add` in a row (registering a fleet through the CLI), total seconds.
//   node dist/bench/cli.js   (CERTPORT_BENCH_ROUNDS=5, CERTPORT_BENCH_BACKENDS=sqlite,postgres,
//                             CERTPORT_BENCH_RESOURCES=50, CERTPORT_BENCH_BEFORE=/work/main/dist/src/cli/index.js)
import { execFile } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { machine } from './lib.js';
import type { Backend } from '../src/testing/harness.js';
import { CLI, nodeArgs, prepareData } from './node.js';

const ROUNDS = Number(process.env.CERTPORT_BENCH_ROUNDS ?? 5);
const BACKENDS = (process.env.CERTPORT_BENCH_BACKENDS ?? 'sqlite,postgres').split(',').filter(Boolean) as Backend[];
const BEFORE = process.env.CERTPORT_BENCH_BEFORE ?? null;
const RESOURCES = Number(process.env.CERTPORT_BENCH_RESOURCES ?? 50);
const run = promisify(execFile);

const builds: [string, string][] = [['this build', CLI], ...(BEFORE ? [['before', BEFORE] as [string, string]] : [])];
console.log(`certport CLI: wall time per command, ${ROUNDS} rounds; ${machine()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

for (const backend of BACKENDS) {
  // Each build gets its own data: a build with newer migrations would move a shared one ahead.
  const datas = await Promise.all(builds.map(() => prepareData(backend, 1)));
  try {
    let n = 0;
    const commands = (uin: string): [string, () => string[]][] => [
      ['account list', () => ['account', 'list', '--json']],
      ['account create', () => ['account', 'create', '--name', 'bench', '--json']],
      ['resource add', () => ['resource', 'add', '--account', uin, '--name', `r${n++}`, '--type', 'clb', '--deployer', 'webhook',
        '--config', '{"url":"https://deploy.bench.test/hook"}', '--secrets', '{"hmacSecret":"0123456789abcdef0123"}', '--json']],
      ['notify show', () => ['notify', 'show', '--account', uin, '--json']],
      ['orders list', () => ['orders', 'list', '--json']],
    ];
    const names = commands('').map(([name]) => name);
    const times = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [ci, name] of names.entries()) {
        const order = builds.map((b, i) => [b, i] as const);
        for (const [[build, cli], i] of (round % 2 ? order.reverse() : order)) {
          const args = commands(datas[i]!.cred.accountUin)[ci]![1]();
          const t = performance.now();
          await run(process.execPath, [...nodeArgs(cli), ...args], { env: { ...process.env, ...datas[i]!.env } });
          const key = `${name}\t${build}`;
          times.set(key, [...(times.get(key) ?? []), performance.now() - t]);
        }
      }
    }
    console.log(`\n${backend}:`);
    for (const [key, list] of [...times].sort(([a], [b]) => a.localeCompare(b))) {
      const sorted = [...list].sort((a, b) => a - b);
      const [name, build] = key.split('\t');
      console.log(`  ${name!.padEnd(16)} ${build!.padEnd(11)} min ${(sorted[0]! / 1000).toFixed(2)} s   median ${(sorted[sorted.length >> 1]! / 1000).toFixed(2)} s`);
    }
    for (const [i, [build, cli]] of builds.entries()) {
      if (!RESOURCES) break;
      const add = commands(datas[i]!.cred.accountUin)[2]![1];
      const t = performance.now();
      for (let j = 0; j < RESOURCES; j++) await run(process.execPath, [...nodeArgs(cli), ...add()], { env: { ...process.env, ...datas[i]!.env } });
      console.log(`  ${RESOURCES} × resource add, ${build}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    for (const d of datas) await d.cleanup();
  }
}
console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
