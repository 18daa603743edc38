// The OCSP responder (RFC 6960 appendix A): POST /ocsp with an application/ocsp-request body, and
// GET /ocsp/<base64 of the request, URL-encoded>. Unauthenticated, like any CA's responder.
// Answers are application/ocsp-response; errors are OCSP statuses inside a 200, as the RFC has it.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OcspService } from '../services/ocsp.js';

/** Requests are small (a CertID or a few); anything larger is not an OCSP request. */
const MAX_REQUEST = 16 * 1024;

export function ocspRoutes(ocsp: OcspService) {
  const send = (reply: FastifyReply, der: Buffer, cacheable: boolean) => reply.code(200).header('content-type', 'application/ocsp-response')
    .header('cache-control', cacheable ? 'public, max-age=60' : 'no-store').send(der);
  return (app: FastifyInstance) => {
    app.post('/ocsp', { bodyLimit: MAX_REQUEST }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return send(reply, await ocsp.answer(body), false);
    });
    app.get<{ Params: { '*': string } }>('/ocsp/*', async (req, reply) => {
      let b64 = req.params['*'];
      try {
        b64 = decodeURIComponent(b64);
      } catch { /* read as it is */ }
      const body = b64.length > MAX_REQUEST * 2 ? Buffer.alloc(0) : Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      // A GET answer is the same for everyone who asks: HTTP caches may keep it (RFC 5019 5).
      return send(reply, await ocsp.answer(body), true);
    });
  };
}
