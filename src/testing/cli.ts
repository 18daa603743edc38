// Test support: the real `certport` command line as a child process (compiled or under tsx).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = fileURLToPath(import.meta.url);
const CLI = path.join(path.dirname(here), '..', 'cli', here.endsWith('.ts') ? 'index.ts' : 'index.js');
export const CLI_ARGS = CLI.endsWith('.ts') ? ['--import', 'tsx', CLI] : [CLI];

/** Runs `certport …args` with `env` over this process's environment; never throws on a non-zero exit. */
export async function runCli(env: Record<string, string>, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await promisify(execFile)(process.execPath, [...CLI_ARGS, ...args], { env: { ...process.env, ...env } });
    return { ...r, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
