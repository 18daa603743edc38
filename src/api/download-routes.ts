// GET /download/<id>?a=&type=&expires=&sig= — the links DescribeDownloadCertificateUrl hands
// out: no API signature, the link's own HMAC and expiry are the credential.
import type { FastifyInstance } from 'fastify';
import type { CertificateService } from '../services/certificates.js';

export function downloadRoutes(certificates: CertificateService) {
  return (app: FastifyInstance) => {
    app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/download/:id', async (req, reply) => {
      const got = await certificates.downloadBySignedUrl(req.params.id, req.query).catch(() => null);
      if (!got) return reply.code(403).type('text/plain').send('This download link is invalid or has expired; ask DescribeDownloadCertificateUrl for a new one.\n');
      return reply.code(200).header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${got.filename}"`).header('cache-control', 'no-store').send(got.zip);
    });
  };
}
