// CAA (RFC 8659): may certport's own CAs issue for a name? Asked for every name just before
// certport signs (services/dv-validation.ts); an upstream ACME CA asks for itself. Pure: nothing
// is stored, the resolvers are injected. The model is Boulder's va/caa.go:
//  - The Relevant RRset (section 3) is the first non-empty CAA RRset found climbing from the
//    name towards the root (the root itself is not asked). Every level is asked at once and the
//    nearest non-empty answer wins. A failed lookup (SERVFAIL, timeout, no server answering) at
//    or below that level refuses, since it could hide the relevant set; one above it does not
//    matter. NXDOMAIN and NODATA are "no records here", and so are REFUSED, NOTIMP and FORMERR,
//    as Boulder reads every rcode but SERVFAIL (an authoritative-only server refuses names
//    outside its zones).
//  - Aliases are chased at each level, as section 3's CAA(X) lookup does: a recursive resolver
//    hands over the whole chain, and an authoritative server's bare CNAME is followed by
//    ./dns.ts (chase). The climb then goes on from X's parent, not the target's (RFC 8659
//    dropped RFC 6844's climb from the target).
//  - `issue` for a name, `issuewild` (else `issue`) for a wildcard (section 4.3), the issuer
//    domain name compared without regard to case with the configured identities. Parameters
//    (section 4.2) are parsed and ignored, except RFC 8657's, which certport cannot satisfy:
//    `accounturi` (certport has no ACME accounts) and `validationmethods` (its methods are not
//    ACME's). A value off the grammar authorizes no one.
//  - A critical property (section 4.1) with a tag certport does not know refuses.
import type { CaaRecord } from 'node:dns';
import { CAA_LABEL, isIssuerDomainName } from '../domain/caa.js';
import { chase, DnsLookupError, resolver, type CheckResult, type DnsOptions } from './dns.js';

export interface CaaOptions extends DnsOptions {
  /** The issuer domain names (RFC 8659 section 4.2) certport answers to; compared without regard to case. */
  identities: readonly string[];
}

/** One property of a CAA record (RFC 8659 section 4.1); `tag` lower-cased. */
export interface CaaProperty {
  /** The flags octet; null when it could not be read (node reports a tag named "critical" in its place). */
  flags: number | null;
  tag: string;
  value: string;
}

/** The Relevant RRset for a name: where it was found, and its properties. */
export interface RelevantSet {
  at: string;
  properties: CaaProperty[];
}

/** The tags RFC 8659 defines; every other critical tag forbids issuance. */
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef']);
/**
 * The Issuer Critical Flag is the bit of value 128; Boulder also takes the bit of value 1, as
 * many zones set it believing it is the critical bit, and so does certport.
 */
const CRITICAL = 128 | 1;
/** Error codes that are answers, not failures (see the head comment). */
const NO_CAA: ReadonlySet<string> = new Set(['ENODATA', 'ENOTFOUND', 'EREFUSED', 'ENOTIMP', 'EFORMERR']);

// RFC 8659 section 4.2: parameter = tag *WSP "=" *WSP value; value = *(%x21-3A / %x3C-7E).
const PARAMETER_TAG = new RegExp(`^${CAA_LABEL}$`);
const PARAMETER_VALUE = /^[\x21-\x3a\x3c-\x7e]*$/;
const trimWsp = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

export interface IssueValue {
  /** Lower-cased; null when the value names no issuer (`;`: no CA may issue). */
  issuer: string | null;
  /** Tags lower-cased. */
  parameters: Map<string, string>;
}

/** An `issue`/`issuewild` value (RFC 8659 section 4.2), or null when it is off the grammar. */
export function parseIssueValue(value: string): IssueValue | null {
  const [head = '', ...rest] = value.split(';');
  const issuer = trimWsp(head);
  if (issuer !== '' && !isIssuerDomainName(issuer)) return null;
  const parameters = new Map<string, string>();
  // `ca.example;` with nothing after the separator is allowed; an empty parameter elsewhere is not.
  if (!(rest.length === 1 && trimWsp(rest[0]!) === '')) {
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq < 0) return null;
      const tag = trimWsp(part.slice(0, eq));
      const v = trimWsp(part.slice(eq + 1));
      if (!PARAMETER_TAG.test(tag) || !PARAMETER_VALUE.test(v)) return null;
      parameters.set(tag.toLowerCase(), v);
    }
  }
  return { issuer: issuer === '' ? null : issuer.toLowerCase(), parameters };
}

/** Whether one `issue`/`issuewild` value lets an issuer named in `identities` (lower-case) issue. */
function authorizes(value: string, identities: readonly string[]): boolean {
  const v = parseIssueValue(value);
  if (!v || v.issuer === null || !identities.includes(v.issuer)) return false;
  // RFC 8657: bound to an ACME account or to ACME validation methods, neither of which certport has.
  return !v.parameters.has('accounturi') && !v.parameters.has('validationmethods');
}

/** node reports each record as { critical: <flags>, <tag>: <value> }. */
function propertiesOf(records: CaaRecord[]): CaaProperty[] {
  return records.map((r) => {
    const entry = Object.entries(r).find(([k]) => k !== 'critical');
    // A tag named "critical" takes the flags' place, which are then unknown.
    if (!entry) return { flags: null, tag: 'critical', value: String(r.critical) };
    return { flags: Number(r.critical), tag: entry[0].toLowerCase(), value: String(entry[1]) };
  });
}

/** The CAA properties at one name (aliases chased). Throws DnsLookupError when the lookup fails. */
async function lookupCaa(name: string, opts: DnsOptions): Promise<CaaProperty[]> {
  const r = resolver(opts);
  const { records } = await chase(r, name, (n) => r.resolveCaa(n), NO_CAA);
  return propertiesOf(records);
}

/** `name` and each of its parents, nearest first, down to the top-level domain. */
export function climb(name: string): string[] {
  const labels = name.replace(/\.$/, '').toLowerCase().split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/**
 * The Relevant RRset of a name without a wildcard label (RFC 8659 section 3), or null when
 * no level has CAA records. Throws the first failed lookup at or below the level that has them.
 */
export async function relevantSet(name: string, lookup: (name: string) => Promise<CaaProperty[]>): Promise<RelevantSet | null> {
  const levels = climb(name);
  const answers = levels.map((n) => lookup(n).then((properties) => ({ properties }), (error: unknown) => ({ error })));
  for (const [i, at] of levels.entries()) {
    const a = await answers[i]!;
    if ('error' in a) throw a.error;
    if (a.properties.length) return { at, properties: a.properties };
  }
  return null;
}

const shown = (props: CaaProperty[]) =>
  props.slice(0, 3).map((p) => `${p.tag} ${JSON.stringify(p.value.length > 60 ? p.value.slice(0, 60) + '…' : p.value)}`).join(', ') + (props.length > 3 ? ', …' : '');

/** Whether the Relevant RRset lets one of `identities` (lower-case) issue for `name` (which may be `*.name`). */
export function evaluate(name: string, set: RelevantSet | null, identities: readonly string[]): CheckResult {
  if (!set) return { ok: true, detail: `${name}: no CAA records` };
  const unknownCritical = set.properties.filter((p) => !KNOWN_TAGS.has(p.tag) && (p.flags === null || (p.flags & CRITICAL) !== 0));
  if (unknownCritical.length) {
    return { ok: false, detail: `CAA record for ${set.at} has a critical property certport does not understand (${shown(unknownCritical)}), which forbids issuance` };
  }
  const wildcard = name.startsWith('*.');
  const issue = set.properties.filter((p) => p.tag === 'issue');
  const issuewild = set.properties.filter((p) => p.tag === 'issuewild');
  // Section 4.3: issuewild is ignored for a name; for a wildcard it replaces issue when present.
  const relevant = wildcard && issuewild.length ? issuewild : issue;
  if (relevant.length === 0) return { ok: true, detail: `${name}: CAA record for ${set.at} does not restrict issuance` };
  const granted = relevant.find((p) => authorizes(p.value, identities));
  if (granted) return { ok: true, detail: `${name}: CAA record for ${set.at} authorizes ${parseIssueValue(granted.value)!.issuer}` };
  const forName = name === set.at ? '' : ` to issue for ${name}`;
  return { ok: false, detail: `CAA record for ${set.at} does not authorize ${identities.join(' or ')}${forName} (${shown(relevant)})` };
}

/**
 * CAA for every name of a certificate: ok when each may be issued by one of `identities`.
 * `detail` is each name's result, or the refusals (what a failed order shows).
 */
export async function checkCaa(names: readonly string[], opts: CaaOptions): Promise<CheckResult> {
  const identities = opts.identities.map((x) => x.toLowerCase());
  // Names of one certificate share parents: each level is asked once.
  const asked = new Map<string, Promise<CaaProperty[]>>();
  const lookup = (n: string) => {
    let p = asked.get(n);
    if (!p) asked.set(n, p = lookupCaa(n, opts));
    return p;
  };
  const results = await Promise.all([...new Set(names)].map(async (name): Promise<CheckResult> => {
    try {
      return evaluate(name, await relevantSet(name.replace(/^\*\./, ''), lookup), identities);
    } catch (e) {
      if (!(e instanceof DnsLookupError)) throw e;
      // Boulder's rule: a CAA set the lookup could not see may forbid issuance.
      return { ok: false, detail: `CAA lookup for ${e.query} failed (${e.code}); certport issues only on an answer` };
    }
  }));
  const refused = results.filter((r) => !r.ok);
  return refused.length
    ? { ok: false, detail: refused.map((r) => r.detail).join('; ') }
    : { ok: true, detail: results.map((r) => r.detail).join('; ') };
}
