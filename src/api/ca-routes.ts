// The embedded CA's public certificates: GET /ca/root.pem, /ca/root.der and each issuing
// intermediate as .der (what leaves' AIA caIssuers points to, RFC 5280 4.2.2.1) and .pem; and
// each issuing intermediate's CRL, /ca/<rsa|ecc|sm2>-intermediate.crl (DER, RFC 5280 5; what
// leaves' CRL distribution point names). Unauthenticated, like any CA's repository.
import type { FastifyInstance } from 'fastify';
import type { EmbeddedCa } from '../ca/embedded/setup.js';
import { crlFileName, type CrlService } from '../services/crls.js';

export function caRoutes(ca: EmbeddedCa, crls: CrlService | null = null) {
  const crlFiles = new Map((crls?.names() ?? []).map((n) => [crlFileName(n), n]));
  return (app: FastifyInstance) => {
    app.get<{ Params: { file: string } }>('/ca/:file', async (req, reply) => {
      const crl = crlFiles.get(req.params.file);
      if (crl && crls) {
        const body = await crls.current(crl);
        // Relying parties fetch it again well before nextUpdate; caches may keep it a few minutes.
        return reply.code(200).header('content-type', 'application/pkix-crl').header('cache-control', 'public, max-age=300').send(body);
      }
      const f = ca.files.get(req.params.file);
      if (!f) {
        return reply.code(404).type('text/plain').send(`no such file; try ${[...ca.files.keys(), ...crlFiles.keys()].sort().join(', ')}\n`);
      }
      return reply.code(200).header('content-type', f.contentType).header('cache-control', 'public, max-age=3600').send(f.body);
    });
  };
}
