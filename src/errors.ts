// One error type for the whole service. `code` is always an error code from the spec
// (common codes or an action's own); the api layer alone turns it into the wire envelope.
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const invalidParameter = (message: string) => new ServiceError('InvalidParameter', message);
export const invalidParameterValue = (message: string) => new ServiceError('InvalidParameterValue', message);
export const certificateNotFound = (id: string) =>
  new ServiceError('FailedOperation.CertificateNotFound', `The certificate ${JSON.stringify(id)} does not exist.`);

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}
