// The edge where internal errors become the spec's error codes (Boulder's web/probs.go).
// Lower layers throw a Fault of a kind; services throw ServiceErrors with spec codes; anything
// else is an internal error whose message is never shown (it may name internals).
import { Fault, ServiceError, type ErrorCode, type FaultKind } from '../domain/errors.js';

const CODE_OF: Record<FaultKind, ErrorCode> = {
  malformed: 'InvalidParameter',
  invalidValue: 'InvalidParameterValue',
  unparsable: 'FailedOperation.CertificateParseError',
  tooLarge: 'RequestSizeLimitExceeded',
  mismatch: 'FailedOperation.CertificateMismatch',
  notSm2: 'FailedOperation.CertificateEncryptInvalid',
  caExhausted: 'FailedOperation.CertificateCaError',
  unreachable: 'FailedOperation.NetworkError',
};

/** The answer for the caller, or null when `e` is an internal error (answer InternalError, log it). */
export function problemOf(e: unknown): ServiceError | null {
  if (e instanceof ServiceError) return e;
  if (e instanceof Fault) return new ServiceError(CODE_OF[e.kind], e.message);
  return null;
}
