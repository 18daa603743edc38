// The download formats' names and file names, apart from the packaging (./download-zip.ts) so
// that services can name them without loading PKCS#12, JKS and ZIP code.
export type DownloadServiceType = 'nginx' | 'apache' | 'tomcat' | 'iis' | 'jks' | 'other' | 'root';
export const DOWNLOAD_SERVICE_TYPES: readonly DownloadServiceType[] = ['nginx', 'apache', 'tomcat', 'iis', 'jks', 'other', 'root'];

/**
 * File-name form of a domain: a leading `*` becomes `_` (`*.example.com` → `_.example.com`);
 * anything else that is unsafe in a path (slashes, other `*`, control chars, ...) becomes `_` too.
 */
export function fileDomain(domain: string): string {
  const d = domain.trim().replace(/^\*/, '_').replace(/[^A-Za-z0-9._-]/g, '_');
  return d === '' || /^\.+$/.test(d) ? 'certificate' : d;
}
