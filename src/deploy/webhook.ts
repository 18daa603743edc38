// `webhook`: POSTs the certificate (and the key, only when `includeKey` is set) as JSON to a
// URL, signed with HMAC-SHA256: `X-Certport-Signature: t=<unix seconds>,v1=<hex>` where the
// MAC covers `<t>.<body>` with the resource's secret. Receivers check the MAC, refuse stale
// timestamps, and de-duplicate on `X-Certport-Delivery`. Network errors, 408, 429 and 5xx
// are retried with backoff; other statuses are final.
import { DeployConfigError, DeployError, fullchainPem, int, obj, onlyKeys, str, type Deployer, type DeployerKind } from './types.js';
import { SIGNATURE_HEADER, sign } from '../secrets/webhook-signature.js';

export interface WebhookConfig {
  url: string;
  includeKey: boolean;
  timeoutMs: number;
  /** Attempts per delivery (the record retries a failed delivery later again). */
  attempts: number;
  headers: Record<string, string>;
}
export interface WebhookSecrets { hmacSecret: string }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const webhookKind: DeployerKind<WebhookConfig, WebhookSecrets> = {
  type: 'webhook',
  parse(config, secrets) {
    const c = obj(config, 'webhook');
    onlyKeys(c, ['url', 'includeKey', 'timeoutMs', 'attempts', 'headers'], 'webhook');
    const s = obj(secrets, 'webhook secrets');
    onlyKeys(s, ['hmacSecret'], 'webhook secrets');
    const url = str(c, 'url', 'webhook', true)!;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new DeployConfigError('webhook.url must be an http(s) URL.');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new DeployConfigError('webhook.url must be an http(s) URL.');
    if (c.includeKey !== undefined && typeof c.includeKey !== 'boolean') throw new DeployConfigError('webhook.includeKey must be true or false.');
    const headers = obj(c.headers, 'webhook.headers');
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v !== 'string') throw new DeployConfigError(`webhook.headers.${k} must be a string.`);
    }
    const hmacSecret = str(s, 'hmacSecret', 'webhook secrets', true)!;
    if (hmacSecret.length < 16) throw new DeployConfigError('webhook secrets.hmacSecret must be at least 16 characters.');
    return {
      config: {
        url, includeKey: c.includeKey === true, headers: headers as Record<string, string>,
        // Bounded so that a delivery fits a record job's 60 s lease; later tries are the record's.
        timeoutMs: int(c, 'timeoutMs', 'webhook', 100, 10_000) ?? 10_000,
        attempts: int(c, 'attempts', 'webhook', 1, 2) ?? 2,
      },
      secrets: { hmacSecret },
    };
  },
  needsPrivateKey: (c) => c.includeKey,
  create(c, s): Deployer {
    async function post(body: string, delivery: string, event: string): Promise<Response> {
      const t = Math.floor(Date.now() / 1000);
      return fetch(c.url, {
        method: 'POST',
        headers: {
          ...c.headers,
          'content-type': 'application/json',
          'user-agent': 'certport-webhook/1',
          'x-certport-event': event,
          'x-certport-delivery': delivery,
          [SIGNATURE_HEADER]: sign(s.hmacSecret, t, body),
        },
        body,
        signal: AbortSignal.timeout(c.timeoutMs),
        redirect: 'manual',
      });
    }
    return {
      async deploy(m, ctx) {
        const body = JSON.stringify({
          event: 'certificate.deploy',
          delivery: ctx.deliveryId,
          resource: ctx.resource,
          certificate: {
            id: m.certId, domain: m.domain, sha256: m.sha256, notAfter: new Date(m.notAfter).toISOString(),
            certificatePem: m.leafPem.trim() + '\n', chainPem: m.chainPems.map((p) => p.trim() + '\n').join(''),
            fullchainPem: fullchainPem(m), rootPem: m.rootPem,
            ...(c.includeKey && m.keyPem ? { privateKeyPem: m.keyPem } : {}),
          },
        });
        let last = '';
        for (let attempt = 1; attempt <= c.attempts; attempt++) {
          if (attempt > 1) await sleep(250 * 2 ** (attempt - 2));
          let res: Response;
          try {
            res = await post(body, ctx.deliveryId, 'certificate.deploy');
          } catch (e) {
            const err = e as Error & { cause?: { code?: string } };
            last = `POST ${c.url} failed: ${err.name === 'TimeoutError' ? `no answer within ${c.timeoutMs} ms` : err.cause?.code ?? err.message}`;
            continue;
          }
          const text = (await res.text().catch(() => '')).slice(0, 500);
          if (res.status >= 200 && res.status < 300) return { note: `${c.url} answered ${res.status}` };
          last = `POST ${c.url} answered ${res.status}${text ? ': ' + text : ''}`;
          if (!(res.status >= 500 || res.status === 408 || res.status === 429)) throw new DeployError(last, false);
        }
        throw new DeployError(last, true);
      },
      async test(ctx) {
        const body = JSON.stringify({ event: 'certport.test', delivery: ctx.deliveryId, resource: ctx.resource });
        try {
          const res = await post(body, ctx.deliveryId, 'certport.test');
          await res.text().catch(() => '');
          return [res.ok ? `ok: ${c.url} answered ${res.status} to a signed test event` : `FAIL: ${c.url} answered ${res.status}`];
        } catch (e) {
          return [`FAIL: POST ${c.url}: ${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`];
        }
      },
    };
  },
};
