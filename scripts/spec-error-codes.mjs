// The spec's error codes, action by action, against the codes certport can answer at all (the
// closed catalogue ERROR_CODES in src/domain/errors.ts, which every ServiceError must name):
// prints the README section "Spec error codes certport never answers", with the reason for
// each code from REASONS below. A spec code without a reason fails the script.
//   node scripts/spec-error-codes.mjs [SPEC_FILE]            print the section
//   node scripts/spec-error-codes.mjs [SPEC_FILE] --check    exit 1 if README.md's section differs
//   node scripts/spec-error-codes.mjs [SPEC_FILE] --json     every action's spec codes, answered or not
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const specFile = args.find((a) => !a.startsWith('--')) ?? process.env.CERTPORT_SPEC ?? '/work/shared/spec/003_3e72cdd37b7a7c1c.txt';
const spec = readFileSync(specFile, 'utf8').split('\n');
const errorsTs = readFileSync(new URL('../src/domain/errors.ts', import.meta.url), 'utf8');
const catalogue = new Set([...errorsTs.slice(errorsTs.indexOf('ERROR_CODES = ['), errorsTs.indexOf('] as const')).matchAll(/'([A-Za-z.]+)'/g)].map((m) => m[1]));

/** Why certport never answers a code: one reason per code, shared by every action that lists it. */
const REASONS = {
  'FailedOperation.AuthError': 'no CAM: an API key is its account\'s root user; a key that fails is an AuthFailure code',
  'FailedOperation.CAMAuthorizedFail': 'no CAM policies to fail',
  'FailedOperation.NoProjectPermission': 'no CAM project permissions; every user of an account sees all its projects',
  'FailedOperation.NoRealNameAuth': 'no real-name (identity) verification of accounts',
  'FailedOperation.RoleNotFoundAuthorization': 'no CAM service roles: certport deploys with its own deployers',
  'FailedOperation.CannotGetOrder': 'orders live in certport\'s own database, read in the same transaction; there is no CA order system to be unreachable',
  'FailedOperation.CannotBeDeletedIssued': 'an issued certificate can be deleted (after its first hour, `CannotBeDeletedWithinHour`)',
  'FailedOperation.DeleteFailedTimeNotUp': 'the same rule answers `CannotBeDeletedWithinHour`, the code the SDKs and Terraform expect',
  'FailedOperation.RenewNotIssued': 'deleting a certificate whose renewal is pending is allowed (the renewal keeps its own id)',
  'FailedOperation.BoundResources': 'deletion with resources still bound is refused through the task result (`IsCheckResource`) rather than an error',
  'FailedOperation.DeleteResourceFailed': 'see BoundResources: the asynchronous task reports it',
  'FailedOperation.CertificateInvalid': 'bad certificates get the precise code (`CertificateParseError`, `CertificateMismatch`, …)',
  'FailedOperation.CertificateMatchError': 'a key that does not match answers `CertificateMismatch`',
  'FailedOperation.CertificateNotAvailable': 'a certificate that cannot be used answers `InvalidCertificateStatusCode` or `CertificateNotFound`',
  'InvalidParameter.CertificateStatusNotAllowResubmit': 'the FailedOperation code of the same name is answered',
  'FailedOperation.InvalidConfirmLetterFormatWosign': 'no WoTrus-specific letter rules: every letter takes PDF, JPG or PNG (`InvalidConfirmLetterFormat`)',
  'FailedOperation.OrderReplaceFailed': 'a reissue that cannot start answers the reason\'s own code (`OrderAlreadyReplaced`, `InvalidCertificateStatusCode`, …)',
  'FailedOperation.CertificateHostDeployCanNotAllow': 'every issued or uploaded SVR certificate may be deployed; others answer `InvalidCertificateStatusCode`',
  'FailedOperation.CertificateHostResourceInnerInterrupt': 'Tencent-internal accounts only',
  'FailedOperation.CertificateHostResourceInstanceHugeLimit': 'resources are the operator\'s registered ones, listed from the database without a loading mode',
  'InternalError.BackendResponseEmpty': 'no backend service between the API and the database; an unexpected failure is `InternalError`',
  'InternalError.BackendResponseError': 'as InternalError.BackendResponseEmpty',
  'InternalServerError': 'an unexpected failure answers `InternalError`, the common code (the spec names both)',
  'InternalServerError.BackendResponseError': 'as InternalError.BackendResponseEmpty',
  'InvalidParameter.MissMatchPrivateKey': 'a key that does not match answers `FailedOperation.CertificateMismatch`',
  'InvalidParameterValue.IntermediateCertNotSame': 'no upstream CA whose intermediate could change under an order',
  'LimitExceeded.RateLimitExceeded': 'the rate limit answers `RequestLimitExceeded`, the code the Go SDK retries on',
  'UnauthorizedOperation': 'no CAM: an authenticated key may do everything its account may',
  'AuthFailure': 'authentication failures answer the precise `AuthFailure.*` code',
};

// Actions: `# Name` or `## Name` headings up to the data types; their codes: the table after "Error Code".
const actions = new Map();
let current = null;
let inCodes = false;
let started = false;
for (const line of spec) {
  // The common codes and the signature chapters come first; the actions start here.
  if (line.trim() === '# Certificate APIs') started = true;
  if (!started) continue;
  const h = /^#{1,2} ([A-Z][A-Za-z]+)\s*$/.exec(line);
  if (h) {
    if (h[1] === 'Data' || /^(ApiGatewayInstanceDetail)$/.test(h[1])) break;
    if (!['Certificate', 'API', 'Responses', 'Signature', 'Introduction', 'Contents', 'History', 'SDK', 'Copyright', 'Trademark', 'Service', 'Common', 'Making', 'CSR', 'Existing', 'Overview', 'Release'].includes(h[1])) {
      current = h[1];
      actions.set(current, []);
      inCodes = false;
    }
    continue;
  }
  if (current && /^#+ .*Error Code/.test(line)) { inCodes = true; continue; }
  const code = inCodes ? /^([A-Z][A-Za-z]+(?:\.[A-Za-z]+)?)\t/.exec(line) : null;
  if (code && code[1] !== 'Error' && !actions.get(current).includes(code[1])) actions.get(current).push(code[1]);
}
if (actions.size < 30) throw new Error(`found only ${actions.size} actions in ${specFile}`);

const never = [...actions].map(([action, codes]) => [action, codes.filter((c) => !catalogue.has(c))]).filter(([, codes]) => codes.length);
const missing = [...new Set(never.flatMap(([, codes]) => codes))].filter((c) => !REASONS[c]);
if (missing.length) throw new Error(`no reason given for: ${missing.join(', ')}`);

if (args.includes('--json')) {
  console.log(JSON.stringify(Object.fromEntries([...actions].map(([a, codes]) => [a, { answered: codes.filter((c) => catalogue.has(c)), never: codes.filter((c) => !catalogue.has(c)) }])), null, 1));
  process.exit(0);
}

const used = [...new Set(never.flatMap(([, codes]) => codes))].sort();
const section = [
  '## Spec error codes certport never answers',
  '',
  'Made by `node scripts/spec-error-codes.mjs` from the spec\'s per-action error tables and the codes',
  'certport can answer at all (`ERROR_CODES` in src/domain/errors.ts: every error names one of them).',
  'Every other code an action lists is answered in its situation. Per action:',
  '',
  '| action | codes never answered |',
  '| --- | --- |',
  ...never.map(([a, codes]) => `| \`${a}\` | ${codes.map((c) => `\`${c}\``).join(', ')} |`),
  '',
  'Why:',
  '',
  ...used.map((c) => `- \`${c}\`: ${REASONS[c]}.`),
  '',
].join('\n');

if (args.includes('--check')) {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  if (!readme.includes(section)) {
    console.error('README.md\'s "Spec error codes certport never answers" differs from what the script makes; paste its output.');
    process.exit(1);
  }
  console.log('README.md: the section is current');
} else {
  process.stdout.write(section);
}
