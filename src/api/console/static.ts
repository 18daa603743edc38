// The console's web app at /console/: the files `vite build` wrote (dist/console), served by
// certport itself. Hashed assets are cached for a year; index.html is revalidated each time
// (its ETag), and answers every other path under /console/ so the app's own routes load.
// Files are read once and kept with their gzip and brotli forms (the whole app is ~100 KiB).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

/** No inline script or style, nothing from elsewhere (it runs offline), never in a frame. */
export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
  + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface File { body: Buffer; gzip: Buffer | null; br: Buffer | null; type: string; etag: string; immutable: boolean }

function load(dir: string): Map<string, File> {
  const files = new Map<string, File>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      const rel = path.relative(dir, p).split(path.sep).join('/');
      const body = readFileSync(p);
      const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
      const text = /^(text|application\/json|image\/svg)/.test(type) && body.length > 512;
      files.set(rel, {
        body, type,
        gzip: text ? gzipSync(body, { level: 9 }) : null,
        br: text ? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }) : null,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        immutable: rel.startsWith('assets/'),
      });
    }
  };
  walk(dir);
  return files;
}

export function consoleStatic(dir: string) {
  let files: Map<string, File> | null = null;
  const get = () => (files ??= existsSync(path.join(dir, 'index.html')) ? load(dir) : null);

  function serve(req: FastifyRequest, reply: FastifyReply, rel: string) {
    const all = get();
    if (!all) return reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build`.\n');
    let f = all.get(rel);
    if (!f) {
      // A missing asset is a 404 (a stale page asking for an old hash), any other path is the app.
      if (rel.startsWith('assets/') || path.extname(rel) !== '') return reply.code(404).type('text/plain; charset=utf-8').send('Not found.\n');
      f = all.get('index.html')!;
    }
    reply.header('content-type', f.type).header('x-content-type-options', 'nosniff').header('vary', 'Accept-Encoding')
      .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache').header('etag', f.etag);
    if (f.type.startsWith('text/html')) {
      reply.header('content-security-policy', CONSOLE_CSP).header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
    }
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    const accept = String(req.headers['accept-encoding'] ?? '');
    if (f.br && /\bbr\b/.test(accept)) return reply.header('content-encoding', 'br').send(f.br);
    if (f.gzip && /\bgzip\b/.test(accept)) return reply.header('content-encoding', 'gzip').send(f.gzip);
    return reply.send(f.body);
  }

  return (app: FastifyInstance) => {
    app.get('/console', (_req, reply) => reply.redirect('/console/', 301));
    app.get('/console/', (req, reply) => serve(req, reply, 'index.html'));
    app.get<{ Params: { '*': string } }>('/console/*', (req, reply) => {
      const rel = req.params['*'];
      // Names come from the map of built files only: nothing else on disk is reachable.
      return serve(req, reply, rel.split('?')[0]!);
    });
  };
}
