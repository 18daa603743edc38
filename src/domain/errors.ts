// The closed error catalogue (Boulder's errors/ package). Two kinds of error travel up:
// - ServiceError: an answer for the caller, carrying one of the spec's error codes below
//   (common codes and the actions' own). The code is a closed union: a code that is not in
//   the catalogue does not compile.
// - Fault: what a lower layer (pki/, ca/, validation/, deploy/) found wrong, as an internal
//   kind. Those layers never name wire codes; the API edge alone maps a kind to a code
//   (api/problems.ts), as Boulder's web/probs.go does.

/** Every error code certport answers, from the spec. */
export const ERROR_CODES = [
  'AuthFailure.InvalidAuthorization',
  'AuthFailure.SecretIdNotFound',
  'AuthFailure.SignatureExpire',
  'AuthFailure.SignatureFailure',
  'AuthFailure.UnauthorizedOperation',
  'FailedOperation',
  'FailedOperation.CancelOrderFailed',
  'FailedOperation.CannotBeDeletedWithinHour',
  'FailedOperation.CertificateCaError',
  'FailedOperation.CertificateDeployDetailRollbackStatusInvalid',
  'FailedOperation.CertificateDeployHasPendingRecord',
  'FailedOperation.CertificateDeployInstanceEmpty',
  'FailedOperation.CertificateDeployNotExist',
  'FailedOperation.CertificateDeployRetryStatusInvalid',
  'FailedOperation.CertificateDeployRollbackStatusInvalid',
  'FailedOperation.CertificateEncryptInvalid',
  'FailedOperation.CertificateExists',
  'FailedOperation.CertificateHostResourceTypeInvalid',
  'FailedOperation.CertificateInvalid',
  'FailedOperation.CertificateMismatch',
  'FailedOperation.CertificateNotAvailable',
  'FailedOperation.CertificateNotDeployInstance',
  'FailedOperation.CertificateNotFound',
  'FailedOperation.CertificateNotFoundOrCantCancel',
  'FailedOperation.CertificateParseError',
  'FailedOperation.CertificateStatusNotAllowResubmit',
  'FailedOperation.CertificateSyncTaskIdInvalid',
  'FailedOperation.ConfirmLetterTooLarge',
  'FailedOperation.ConfirmLetterTooSmall',
  'FailedOperation.DeleteResourceFailed',
  'FailedOperation.ExceedsFreeLimit',
  'FailedOperation.InvalidCertificateSource',
  'FailedOperation.InvalidCertificateStatusCode',
  'FailedOperation.InvalidConfirmLetterFormat',
  'FailedOperation.InvalidParam',
  'FailedOperation.MainDomainCertificateCountLimit',
  'FailedOperation.NetworkError',
  'FailedOperation.OrderAlreadyReplaced',
  'FailedOperation.PackageCountLimit',
  'FailedOperation.PackageExpired',
  'FailedOperation.PackageNotFound',
  'FailedOperation.SystemError',
  'InternalError',
  'InvalidAction',
  'InvalidParameter',
  'InvalidParameter.InvalidCSRId',
  'InvalidParameter.PackageIdsInvalid',
  'InvalidParameter.RenewAlgorithmInvalid',
  'InvalidParameter.WithDetailReason',
  'InvalidParameterValue',
  // The Tag API (2018-08-13) subset certport serves over certificate tags (issue 23).
  'InvalidParameterValue.ResourceDescriptionError',
  'InvalidParameterValue.TagKeyCharacterIllegal',
  'InvalidParameterValue.TagKeyDuplicate',
  'InvalidParameterValue.TagKeyEmpty',
  'InvalidParameterValue.TagKeyLengthExceeded',
  'InvalidParameterValue.TagValueCharacterIllegal',
  'InvalidParameterValue.TagValueLengthExceeded',
  'LimitExceeded',
  'LimitExceeded.TagNumPerResource',
  'LimitExceeded.ResourceNumPerRequest',
  'MissingParameter',
  'NoSuchVersion',
  'RequestLimitExceeded',
  'RequestSizeLimitExceeded',
  'ResourceInUse',
  'ResourceNotFound',
  'ResourceNotFound.Manager',
  'UnknownParameter',
  'UnsupportedProtocol',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An answer for the caller: a spec error code and a message safe to show them. */
export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

// Coded constructors for the codes answered from many places.
export const invalidParameter = (message: string) => new ServiceError('InvalidParameter', message);
export const invalidParameterValue = (message: string) => new ServiceError('InvalidParameterValue', message);
export const missingParameter = (message: string) => new ServiceError('MissingParameter', message);
export const certificateNotFound = (id: string) =>
  new ServiceError('FailedOperation.CertificateNotFound', `The certificate ${JSON.stringify(id)} does not exist.`);
export const invalidStatus = (message: string) => new ServiceError('FailedOperation.InvalidCertificateStatusCode', message);

/**
 * What a lower layer found wrong, in its own terms. The message is for the caller (it names
 * the input's problem, never key material); the kind decides the wire code at the edge.
 */
export type FaultKind =
  /** Input of the wrong shape: not PEM, not a CSR, no key given. */
  | 'malformed'
  /** Well-formed input with a value outside what is supported (a key size, a curve, a validity). */
  | 'invalidValue'
  /** A certificate or private key that cannot be read. */
  | 'unparsable'
  /** Input larger than certport reads (a PEM over its size limit). */
  | 'tooLarge'
  /** A key that does not belong to its certificate. */
  | 'mismatch'
  /** A key of another algorithm where an SM2 key is needed. */
  | 'notSm2'
  /** The CA cannot sign this (its intermediate ends too soon). */
  | 'caExhausted'
  /** An upstream (an ACME CA, a DNS server) could not be reached. */
  | 'unreachable';

export class Fault extends Error {
  constructor(
    readonly kind: FaultKind,
    message: string,
  ) {
    super(message);
    this.name = 'Fault';
  }
}

export function isFault(e: unknown): e is Fault {
  return e instanceof Fault;
}

/** A failure this code foresaw (either kind): its message is meant for the caller, unlike an internal error's. */
export function isForeseen(e: unknown): e is ServiceError | Fault {
  return e instanceof ServiceError || e instanceof Fault;
}
