// What the rest of certport sees of notices: raise an event once, and it is delivered to the
// account's channels (email, signed webhook) by a durable job, exactly once per event key
// however many nodes raise it.

export type NoticeKind =
  /** A certificate expires within one of the configured thresholds (30, 7, 1 days). */
  | 'expiry'
  /** A hosted certificate's renewal failed (validation deadline passed, CA refused, …). */
  | 'renewal-failed'
  /** A renewal waits for the owner: the DNS record or file to publish is in the notice. */
  | 'validation-needed'
  /** Hosting: replacing the certificate on the bound resources failed / succeeded. */
  | 'deploy-failed'
  | 'deploy-succeeded'
  /** Hosting: the renewal certificate exists and replacement begins (MessageTypes 1). */
  | 'hosting-started'
  /** Hosting: replacement is due soon and there is no renewal certificate (MessageTypes 0). */
  | 'hosting-reminder'
  /** An operator's `certport notify test`: sent at once, never recorded. */
  | 'test';

export interface NoticeEvent {
  accountUin: string;
  certId: string;
  kind: NoticeKind;
  /**
   * Identifies the event: a second raise with the same key is a no-op, on any node.
   * E.g. `expiry:<certId>:<notAfter>:7` or `renewal-failed:<oldCertId>:<renewCertId>`.
   */
  key: string;
  /** One line, used as the email subject. */
  subject: string;
  /** Plain text for people (email body). */
  text: string;
  /** Machine-readable details, sent in the webhook body as `data`. */
  data: Record<string, unknown>;
}

export interface Notifier {
  /** Records the event and schedules its delivery; false when the key was raised before. */
  raise(e: NoticeEvent): Promise<boolean>;
}
