// Checking what an operator asks for as an account's notification channels (CLI and admin HTTP
// alike): every mistake is a NoticeConfigError with a message that names the field.

/** Bad channel settings: answered as 400 over HTTP, printed by the CLI. */
export class NoticeConfigError extends Error {}

/** The account named does not exist (404 over HTTP). */
export class UnknownAccountError extends NoticeConfigError {}

/** A change to an account's channels; fields left out stay as they are. */
export interface ChannelsInput {
  /** The whole list of addresses (an empty list removes the email channel). */
  emails?: string[];
  /** A URL sets the webhook; null removes it (and its secret). */
  webhookUrl?: string | null;
  /** Needed with a new webhook URL unless one is stored already; 16+ characters. */
  webhookSecret?: string;
}

/** What operators see of an account's channels: never the secret. */
export interface ChannelsView {
  accountUin: string;
  emails: string[];
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  updatedAt: string | null;
  /** No channel of its own: its notices go to the operator's default channel (CERTPORT_NOTIFY_DEFAULT_*). */
  usesDefault: boolean;
}

export const MAX_EMAILS = 20;
export const MIN_SECRET = 16;

// A practical address check (RFC 5321 sizes, no display names, no quoted local parts): the
// point is to catch typos and pasted junk, not to accept every address RFC 5322 allows.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const EMAIL = new RegExp(`^[A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-]{1,64}@${LABEL}(?:\\.${LABEL})*$`);

export function checkEmail(raw: unknown): string {
  if (typeof raw !== 'string') throw new NoticeConfigError('emails must be a list of email addresses');
  const e = raw.trim();
  if (e.length > 254 || !EMAIL.test(e) || e.startsWith('.') || e.includes('..') || e.split('@')[0]!.endsWith('.')) {
    throw new NoticeConfigError(`${JSON.stringify(raw)} is not an email address`);
  }
  return e;
}

export function checkWebhookUrl(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new NoticeConfigError('webhookUrl must be an http:// or https:// URL');
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new NoticeConfigError(`webhookUrl ${JSON.stringify(raw)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new NoticeConfigError(`webhookUrl must be an http:// or https:// URL, got ${u.protocol}`);
  if (u.username || u.password) throw new NoticeConfigError('webhookUrl must not carry a user or password (the body is signed with the secret)');
  if (raw.length > 2000) throw new NoticeConfigError('webhookUrl is longer than 2000 characters');
  return u.toString();
}

export function checkWebhookSecret(raw: unknown): string {
  if (typeof raw !== 'string') throw new NoticeConfigError('webhookSecret must be a string');
  if (raw.length < MIN_SECRET) throw new NoticeConfigError(`webhookSecret must be at least ${MIN_SECRET} characters`);
  if (raw.length > 512) throw new NoticeConfigError('webhookSecret must be at most 512 characters');
  return raw;
}

/** Reads a JSON body ({emails?, webhookUrl?, webhookSecret?}) into a ChannelsInput. */
/**
 * The CLI's flag names (`certport notify set`) as the fields they stand for: email (a list, or
 * "a@x,b@x") → emails, webhook-url → webhookUrl, webhook-secret → webhookSecret, no-email: true →
 * emails [], no-webhook: true → webhookUrl null. Two names for one field at once are refused.
 */
function cliNames(b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (field: string, v: unknown, name: string) => {
    if (Object.hasOwn(out, field)) throw new NoticeConfigError(`${field} is given twice (as ${name} and under another name)`);
    Object.defineProperty(out, field, { value: v, enumerable: true, writable: true, configurable: true });
  };
  for (const [k, v] of Object.entries(b)) {
    if (k === 'email') set('emails', typeof v === 'string' ? v.split(',').map((e) => e.trim()).filter(Boolean) : v, k);
    else if (k === 'webhook-url') set('webhookUrl', v, k);
    else if (k === 'webhook-secret') set('webhookSecret', v, k);
    else if (k === 'no-email' || k === 'no-webhook') {
      if (v !== true) throw new NoticeConfigError(`${k} takes true`);
      if (k === 'no-email') set('emails', [], k);
      else set('webhookUrl', null, k);
    } else set(k, v, k);
  }
  return out;
}

export function channelsInput(body: unknown): ChannelsInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new NoticeConfigError('the body must be a JSON object');
  const b = cliNames(body as Record<string, unknown>);
  for (const k of Object.keys(b)) {
    if (!['emails', 'webhookUrl', 'webhookSecret'].includes(k)) {
      throw new NoticeConfigError(`unknown field ${JSON.stringify(k)} (emails, webhookUrl, webhookSecret; or the CLI's email, webhook-url, webhook-secret, no-email, no-webhook)`);
    }
  }
  const out: ChannelsInput = {};
  if (b.emails !== undefined) {
    if (!Array.isArray(b.emails)) throw new NoticeConfigError('emails must be a list of email addresses');
    out.emails = b.emails as string[];
  }
  if (b.webhookUrl !== undefined) out.webhookUrl = b.webhookUrl === null ? null : (b.webhookUrl as string);
  if (b.webhookSecret !== undefined) out.webhookSecret = b.webhookSecret as string;
  return out;
}
