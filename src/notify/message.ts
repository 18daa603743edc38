// What is delivered for one notice: the webhook body as is, and the email's subject and text.
export interface NoticeMessage {
  /** The notice id: the webhook's `X-Certport-Delivery`, stable across retries. */
  id: string;
  kind: string;
  accountUin: string;
  certId: string;
  subject: string;
  text: string;
  data: Record<string, unknown>;
  /** ISO 8601, when the event was raised. */
  createdAt: string;
}

/** A channel's delivery failed; the notice job retries it later. */
export class DeliveryError extends Error {}
