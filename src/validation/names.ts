// Domain names as a public CA accepts them (CA/B Forum BR 7.1.2.7.12 and 3.2.2.6, and the
// checks Let's Encrypt's Boulder makes in policy/pa.go): preferred name syntax (RFC 1035
// 2.3.1 as relaxed by RFC 1123 2.1), IDNs as A-labels (RFC 5891), no IP addresses, at most
// one wildcard and only as the whole leftmost label.
import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
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

  if (/[^\x00-\x7f]/.test(name)) {
    // UTS #46 processing (what browsers do): maps full-width dots and case, then punycodes.
    const ascii = domainToASCII(name);
    if (!ascii) throw new NameError(`domain ${shown} is not a valid internationalised domain name`);
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

/** The name and each ancestor with at least two labels, longest first. */
export function zoneCandidates(domain: string): string[] {
  const labels = domain.replace(/^\*\./, '').replace(/\.$/, '').toLowerCase().split('.');
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) out.push(labels.slice(i).join('.'));
  return out;
}
