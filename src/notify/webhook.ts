// Webhook notices: POST the notice as JSON, signed exactly like the deploy webhook
// (`X-Certport-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "<t>.<body>">` with the
// account's secret), with `X-Certport-Delivery: <notice id>` — the same on every retry, for the
// receiver to de-duplicate. A 2xx answer is delivery; anything else is retried later.
import { SIGNATURE_HEADER, sign } from '../secrets/webhook-signature.js';
import { DeliveryError, type NoticeMessage } from './message.js';

export interface WebhookTarget { url: string; secret: string }

export const DELIVERY_HEADER = 'x-certport-delivery';

export interface WebhookOptions {
  timeoutMs?: number;
  /**
   * The signature's timestamp: wall-clock time, not the business clock, because receivers
   * compare it with their own clock (±300 s) to refuse replays.
   */
  wallClock?: () => number;
}

export async function postNotice(target: WebhookTarget, m: NoticeMessage, o: WebhookOptions = {}): Promise<string> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const body = JSON.stringify({
    id: m.id, kind: m.kind, accountUin: m.accountUin, certId: m.certId, subject: m.subject, text: m.text, data: m.data, createdAt: m.createdAt,
  });
  const t = Math.floor((o.wallClock ?? Date.now)() / 1000);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'certport-notice/1',
        'x-certport-event': `notice.${m.kind}`,
        [DELIVERY_HEADER]: m.id,
        [SIGNATURE_HEADER]: sign(target.secret, t, body),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    throw new DeliveryError(`webhook POST ${target.url} failed: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
  const text = (await res.text().catch(() => '')).slice(0, 300).trim();
  if (res.status >= 200 && res.status < 300) return `${target.url} answered ${res.status}`;
  throw new DeliveryError(`webhook POST ${target.url} answered ${res.status}${text ? `: ${text}` : ''}`);
}
