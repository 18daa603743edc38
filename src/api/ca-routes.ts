// The embedded CA's public certificates: GET /ca/root.pem, /ca/root.der and each issuing
// intermediate as .der (what leaves' AIA caIssuers points to, RFC 5280 4.2.2.1) and .pem.
// Unauthenticated, like any CA's repository.
import type { FastifyInstance } from 'fastify';
import type { EmbeddedCa } from '../ca/embedded/setup.js';

export function caRoutes(ca: EmbeddedCa) {
  return (app: FastifyInstance) => {
    app.get<{ Params: { file: string } }>('/ca/:file', async (req, reply) => {
      const f = ca.files.get(req.params.file);
      if (!f) {
        return reply.code(404).type('text/plain').send(`no such file; try ${[...ca.files.keys()].sort().join(', ')}\n`);
      }
      return reply.code(200).header('content-type', f.contentType).header('cache-control', 'public, max-age=3600').send(f.body);
    });
  };
}
