// The CPU-heavy pki work that runs on the worker pool (./cpu-pool.ts), by name. Inputs and
// outputs are plain data (strings, numbers, arrays, Buffers): they cross between threads by
// structured clone, and Faults cross as their kind and message.
import { chainFactsOf, parseCertificateChain, selfSignedTop } from './certificate.js';
import type { ChainFacts } from '../domain/certificate.js';
import { buildStoredDownloadZip } from './download-zip.js';
import { readUpload } from './upload.js';
import { prepareKeystoreSecrets } from './pfx.js';

export const CPU_TASKS = {
  /** UploadCertificate: the chain and key read within the cost limits. */
  readUpload,
  /** RootCert.Standard of a certificate stored before its root was kept: the PEM, or ''. */
  chainRoot: (certPem: string): string => selfSignedTop(parseCertificateChain(certPem)) ?? '',
  /** SHA-1 fingerprint of a PEM chain's leaf. */
  leafFingerprint: (certPem: string): string => parseCertificateChain(certPem).leaf.sha1,
  /** What reads need of a stored chain (ChainFacts), for one stored before they were kept; null when it cannot be read. */
  chainFacts: ({ certPem, encryptCertPem }: { certPem: string; encryptCertPem: string | null }): ChainFacts | null => {
    try { return chainFactsOf(certPem, encryptCertPem); } catch { return null; }
  },
  /** DownloadCertificate's ZIP, with its PFX and JKS. */
  downloadZip: buildStoredDownloadZip,
} as const;

export type CpuTask = keyof typeof CPU_TASKS;
export type TaskInput<K extends CpuTask> = Parameters<(typeof CPU_TASKS)[K]>[0];
export type TaskOutput<K extends CpuTask> = Awaited<ReturnType<(typeof CPU_TASKS)[K]>>;

/** A worker's preparation once it takes tasks: the spare keystore secrets (pfx.ts). */
export function prepareWorker(): void {
  prepareKeystoreSecrets();
}
