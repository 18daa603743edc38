// Domain names as a public CA accepts them (CA/B Forum BR 7.1.2.7.12 and 3.2.2.6, and the
// checks Let's Encrypt's Boulder makes in policy/pa.go): preferred name syntax (RFC 1035
// 2.3.1 as relaxed by RFC 1123 2.1), IDNs as A-labels (RFC 5891), no IP addresses, at most
// one wildcard and only as the whole leftmost label. Internationalised names follow Boulder's
// policy package: UTS #46 non-transitional mapping (tr46), then IDNA2008 (RFC 5891, 5892 and
// its CONTEXTO rules, RFC 5893 Bidi), so emoji and symbol labels are refused in either form.
import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import * as tr46 from 'tr46';
import { getDomain } from 'tldts';
import { Fault } from '../domain/errors.js';

/** A name a CA would refuse: an invalid value (InvalidParameterValue at the API edge). */
export class NameError extends Fault {
  constructor(message: string) {
    super('invalidValue', message);
    this.name = 'NameError';
  }
}

const LABEL = /^[a-z0-9-]{1,63}$/;
const MAX_NAME = 253; // RFC 1035 2.3.4 (255 octets on the wire, without the trailing dot)

/**
 * Trims, lower-cases and converts to A-labels; throws NameError naming the problem.
 * `*.example.com` is accepted only when allowWildcard is set.
 */
export function normalizeDomain(input: string, opts: { allowWildcard: boolean }): string {
  if (typeof input !== 'string') throw new NameError('domain must be a string');
  const shown = JSON.stringify(input.trim());
  let name = input.trim().toLowerCase();
  if (name === '') throw new NameError('domain is empty');
  if (name.endsWith('.')) throw new NameError(`domain ${shown} ends with a dot`);
  if (/^\[.*\]$/.test(name) || isIP(name) || isIP(name.replace(/^\[|\]$/g, ''))) {
    throw new NameError(`domain ${shown} is an IP address; certificates here are issued for DNS names only`);
  }

  let wildcard = false;
  if (name.startsWith('*.')) {
    wildcard = true;
    name = name.slice(2);
  }
  if (name.includes('*')) {
    throw new NameError(wildcard || name === '*'
      ? `domain ${shown} has more than one wildcard; only a single leftmost "*." is allowed`
      : `domain ${shown} has a wildcard that is not the whole leftmost label`);
  }
  if (wildcard && !opts.allowWildcard) throw new NameError(`domain ${shown} is a wildcard, which is not allowed here`);

  if (/[^\x00-\x7f]/.test(name) || /(^|\.)xn--/.test(name)) {
    const ascii = idnaToAscii(name, shown);
    if (isIP(ascii)) throw new NameError(`domain ${shown} is an IP address; certificates here are issued for DNS names only`);
    name = ascii;
  }
  if (wildcard && !name.includes('.')) {
    throw new NameError(`domain ${shown} puts a wildcard directly on a top-level domain`);
  }
  checkAscii(name, shown);
  const full = wildcard ? `*.${name}` : name;
  if (full.length > MAX_NAME) throw new NameError(`domain ${shown} is longer than ${MAX_NAME} characters`);
  return full;
}

// UTS #46 as IDNA2008 registries apply it: non-transitional (ß, ς, ZWJ/ZWNJ kept), STD3 rules
// (letters, digits, hyphens), hyphen placement, CONTEXTJ and Bidi. Length is checked below.
const UTS46: tr46.Options = {
  checkBidi: true, checkHyphens: true, checkJoiners: true, useSTD3ASCIIRules: true,
  transitionalProcessing: false, verifyDNSLength: false, ignoreInvalidPunycode: false,
};

/** UTS #46 mapping to A-labels, then every label's code points checked against IDNA2008. */
function idnaToAscii(name: string, shown: string): string {
  const ascii = tr46.toASCII(name, UTS46);
  if (ascii === null) {
    // Say which code point when IDNA2008 names one; UTS #46 refuses for other reasons too.
    for (const label of name.normalize('NFC').split(/[.\u3002\uff0e\uff61]/)) {
      if (label.startsWith('xn--')) {
        const unicode = domainToUnicode(label);
        if (!unicode || unicode === label || domainToASCII(unicode) !== label) throw new NameError(`domain ${shown} has an invalid punycode label "${label}"`);
        idna2008Label(unicode, shown);
      } else idna2008Label(label.toLowerCase(), shown);
    }
    throw new NameError(`domain ${shown} is not a valid internationalised domain name (UTS #46: letters, digits and hyphens, Bidi and joiner rules)`);
  }
  const { domain, error } = tr46.toUnicode(ascii, UTS46);
  if (error) throw new NameError(`domain ${shown} is not a valid internationalised domain name (UTS #46)`);
  for (const label of domain.split('.')) idna2008Label(label, shown);
  return ascii;
}

// RFC 5892 section 2: the derivation of a code point's IDNA2008 property, in its order.
const EXCEPTIONS = new Map<number, 'PVALID' | 'CONTEXTO' | 'DISALLOWED'>([
  ...[0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007].map((c) => [c, 'PVALID'] as const),
  ...[0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb].map((c) => [c, 'CONTEXTO'] as const),
  ...range(0x0660, 0x0669).map((c) => [c, 'CONTEXTO'] as const),
  ...range(0x06f0, 0x06f9).map((c) => [c, 'CONTEXTO'] as const),
  ...[0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b].map((c) => [c, 'DISALLOWED'] as const),
]);
function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
const UNASSIGNED = /^\p{Cn}$/u;
const LETTER_DIGIT = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{White_Space}\p{Noncharacter_Code_Point}]$/u;
const OLD_HANGUL_JAMO = (c: number) => (c >= 0x1100 && c <= 0x11ff) || (c >= 0xa960 && c <= 0xa97f) || (c >= 0xd7b0 && c <= 0xd7ff);
const IGNORABLE_BLOCK = (c: number) => (c >= 0x20d0 && c <= 0x20ff) || (c >= 0x1d100 && c <= 0x1d24f);

function idna2008Property(c: number): 'PVALID' | 'CONTEXTJ' | 'CONTEXTO' | 'DISALLOWED' {
  const exception = EXCEPTIONS.get(c);
  if (exception) return exception;
  const ch = String.fromCodePoint(c);
  if (UNASSIGNED.test(ch)) return 'DISALLOWED';
  if (/^[a-z0-9-]$/.test(ch)) return 'PVALID';
  if (c === 0x200c || c === 0x200d) return 'CONTEXTJ';
  if (OLD_HANGUL_JAMO(c)) return 'DISALLOWED';
  // Unstable: changed by NFKC and case folding (lowercasing stands in for case folding).
  if (ch.normalize('NFKC').toLowerCase().normalize('NFKC') !== ch) return 'DISALLOWED';
  if (IGNORABLE.test(ch) || IGNORABLE_BLOCK(c)) return 'DISALLOWED';
  return LETTER_DIGIT.test(ch) ? 'PVALID' : 'DISALLOWED';
}

/** RFC 5892 appendix A: the CONTEXTO rules (CONTEXTJ is tr46's checkJoiners). */
function contextOk(c: number, cps: number[], i: number): boolean {
  const prev = i > 0 ? String.fromCodePoint(cps[i - 1]!) : '';
  const next = i + 1 < cps.length ? String.fromCodePoint(cps[i + 1]!) : '';
  const label = String.fromCodePoint(...cps);
  if (c === 0x00b7) return prev === 'l' && next === 'l';
  if (c === 0x0375) return /^\p{Script=Greek}$/u.test(next);
  if (c === 0x05f3 || c === 0x05f4) return /^\p{Script=Hebrew}$/u.test(prev);
  if (c === 0x30fb) return /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u.test(label.replace(/\u30fb/g, ''));
  if (c >= 0x0660 && c <= 0x0669) return !/[\u06f0-\u06f9]/.test(label);
  if (c >= 0x06f0 && c <= 0x06f9) return !/[\u0660-\u0669]/.test(label);
  return false;
}

function idna2008Label(label: string, shown: string): void {
  const cps = [...label].map((ch) => ch.codePointAt(0)!);
  cps.forEach((c, i) => {
    const p = idna2008Property(c);
    if (p === 'PVALID' || p === 'CONTEXTJ' || (p === 'CONTEXTO' && contextOk(c, cps, i))) return;
    const hex = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    const why = p === 'CONTEXTO' ? 'is not allowed in this position by IDNA2008 (RFC 5892 appendix A)' : 'which is not allowed in IDNA2008 (RFC 5892)';
    throw new NameError(`domain ${shown} contains ${hex} (${JSON.stringify(String.fromCodePoint(c)).slice(1, -1)}), ${why}`);
  });
}

function checkAscii(name: string, shown: string): void {
  if (name.length > MAX_NAME) throw new NameError(`domain ${shown} is longer than ${MAX_NAME} characters`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') throw new NameError(`domain ${shown} has an empty label`);
    if (label.length > 63) throw new NameError(`domain ${shown} has a label longer than 63 characters`);
    if (!LABEL.test(label)) {
      const bad = [...label].find((c) => !/[a-z0-9-]/.test(c)) ?? '?';
      throw new NameError(`domain ${shown} contains ${JSON.stringify(bad)}; only letters, digits and hyphens are allowed`);
    }
    if (label.startsWith('-') || label.endsWith('-')) throw new NameError(`domain ${shown} has a label that starts or ends with a hyphen`);
    if (label.slice(2, 4) === '--') {
      // RFC 5891 4.2.3.1: "??--" is reserved; only valid "xn--" A-labels may use it.
      if (!label.startsWith('xn--')) throw new NameError(`domain ${shown} has a label in a reserved format ("${label.slice(0, 4)}")`);
      const unicode = domainToUnicode(label);
      if (!unicode || unicode === label || domainToASCII(unicode) !== label) {
        throw new NameError(`domain ${shown} has an invalid punycode label "${label}"`);
      }
    }
  }
  if (labels.length < 2) throw new NameError(`domain ${shown} needs at least two labels (a name under a top-level domain)`);
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    throw new NameError(`domain ${shown} has an all-numeric top-level domain`);
  }
}

/**
 * The zone a name most likely sits in: its last two labels, wildcard removed
 * (`*.a.shop.example.com` → `example.com`).
 *
 * A simplification: without the Public Suffix List it is wrong for multi-label suffixes
 * (`shop.example.co.uk` → `co.uk`). Use it as a first guess only; zoneCandidates() lists
 * every ancestor for a caller that can ask DNS (SOA) which one is the real zone apex.
 */
export function parentZoneGuess(domain: string): string {
  const labels = domain.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase().split('.');
  return labels.slice(-2).join('.');
}

/**
 * The registered domain of a name (Let's Encrypt's unit for its per-domain limits): the public
 * suffix plus one label, by the Public Suffix List that `tldts` carries (private entries such as
 * `github.io` count as suffixes, so each user's site is its own domain). A name that is itself a
 * suffix, or an IP address, stands for itself. An unlisted TLD (`.test`) counts as a suffix.
 */
export function registeredDomain(name: string): string {
  const base = name.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase();
  return getDomain(base, { allowPrivateDomains: true }) ?? base;
}

/** The name and each ancestor with at least two labels, longest first. */
export function zoneCandidates(domain: string): string[] {
  const labels = domain.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase().split('.');
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) out.push(labels.slice(i).join('.'));
  return out;
}
