// Deployers: how a certificate reaches a resource (a web server, a load balancer, a bucket…).
// Each deployer is one small adapter behind this interface; adding one (a Kubernetes Secret,
// an S3 bucket) means writing a DeployerKind and listing it in registry.ts, nothing else.

/** Everything a deployer may install: the certificate, its chain and (when allowed) its key. */
export interface CertificateMaterial {
  certId: string;
  /** The certificate's main domain (for file names and keystore aliases). */
  domain: string;
  leafPem: string;
  /** Intermediates, leaf's issuer first (no self-signed root). */
  chainPems: string[];
  /** The root, when known (certport's CA for certificates it issued, or a self-signed top of the upload). */
  rootPem: string | null;
  /** The private key (PEM); null when the deployer was not configured to receive it. */
  keyPem: string | null;
  /** SHA-256 fingerprint of the leaf, lower-case hex. */
  sha256: string;
  notAfter: number;
}

export interface DeployContext {
  /** Stable per deployment attempt of one record detail: receivers can de-duplicate on it. */
  deliveryId: string;
  resource: { id: string; name: string; type: string; region: string; domains: string[] };
  signal?: AbortSignal;
}

export interface Deployer {
  /** Installs `m`; throws DeployError on failure. Returns a short note for the record. */
  deploy(m: CertificateMaterial, ctx: DeployContext): Promise<{ note?: string }>;
  /** A dry run: checks what can be checked without changing anything; returns findings. */
  test(ctx: DeployContext): Promise<string[]>;
}

export interface DeployerKind<C = unknown, S = unknown> {
  readonly type: string;
  /** Checks operator-supplied settings and secrets; throws DeployConfigError naming the problem. */
  parse(config: unknown, secrets: unknown): { config: C; secrets: S };
  /** Whether this configuration installs the private key (else certport never hands it over). */
  needsPrivateKey(config: C): boolean;
  create(config: C, secrets: S): Deployer;
}

/** Settings an operator gave that cannot work. */
export class DeployConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployConfigError';
  }
}

/**
 * A deployment that did not happen. `transient` failures (a refused connection, a 503) are
 * retried with backoff; the others wait for the operator to fix something and retry.
 */
export class DeployError extends Error {
  constructor(message: string, readonly transient = false) {
    super(message);
    this.name = 'DeployError';
  }
}

export function fullchainPem(m: CertificateMaterial): string {
  return [m.leafPem, ...m.chainPems].map((p) => p.trim() + '\n').join('');
}

// Small checks shared by the kinds' parse().
export function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new DeployConfigError(`${what} must be a JSON object.`);
  return v as Record<string, unknown>;
}

export function str(o: Record<string, unknown>, k: string, what: string, required = false): string | undefined {
  const v = o[k];
  if (v === undefined || v === null || v === '') {
    if (required) throw new DeployConfigError(`${what}.${k} is required.`);
    return undefined;
  }
  if (typeof v !== 'string') throw new DeployConfigError(`${what}.${k} must be a string.`);
  return v;
}

export function int(o: Record<string, unknown>, k: string, what: string, min: number, max: number): number | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new DeployConfigError(`${what}.${k} must be an integer from ${min} to ${max}.`);
  }
  return v;
}

export function onlyKeys(o: Record<string, unknown>, keys: string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new DeployConfigError(`${what}.${k} is not a known setting (known: ${keys.join(', ')}).`);
  }
}
