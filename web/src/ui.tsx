// Small shared pieces: errors, copy buttons, status names, days left.
import { useState } from 'react';
import { ApiError } from './api';
import { useI18n, type Lang } from './i18n';

export function ErrorBox({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  return (
    <div className="error" role="alert">
      <strong>{t('error')}:</strong> {e ? <><code>{e.code}</code> {e.message}</> : String((error as Error).message ?? error)}
      {e?.requestId ? <div className="muted">{t('requestId')}: <code>{e.requestId}</code></div> : null}
    </div>
  );
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && isSecureContext) return navigator.clipboard.writeText(text);
  // Plain HTTP on another host: the old way still works.
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

export function CopyButton({ text, what }: { text: string; what: string }) {
  const { t } = useI18n();
  const [done, setDone] = useState(false);
  return (
    <button type="button" className="small" aria-label={t('copyOf', { what })} onClick={() => {
      void copyText(text).then(() => { setDone(true); setTimeout(() => setDone(false), 1500); });
    }}>{done ? t('copied') : t('copy')}</button>
  );
}

/** A value to publish, shown exactly, with its copy button. */
export function CopyField({ label, value }: { label: string; value: string }) {
  return (
    <div className="copyfield">
      <span className="label">{label}</span>
      <code className="value" data-copy={label}>{value}</code>
      <CopyButton text={value} what={label} />
    </div>
  );
}

const STATUS: Record<number, [string, string]> = {
  0: ['Pending validation', '审核中'],
  1: ['Issued', '已通过'],
  2: ['Validation failed', '审核失败'],
  3: ['Expired', '已过期'],
  4: ['DNS record added', '自动添加DNS记录'],
  5: ['Awaiting submission', '企业证书，待提交'],
  6: ['Cancelling order', '订单取消中'],
  7: ['Cancelled', '已取消'],
  8: ['Awaiting confirmation letter', '已提交资料，待上传确认函'],
  9: ['Revoking', '证书吊销中'],
  10: ['Revoked', '已吊销'],
  11: ['Reissuing', '重颁发中'],
  12: ['Awaiting revocation letter', '待上传吊销确认函'],
  13: ['Free certificate awaiting submission', '免费证书待提交资料'],
  14: ['Refunded', '已退款'],
  15: ['Migrating', '证书迁移中'],
};
export const STATUS_FILTERS = [0, 1, 2, 3, 5, 7, 10];

export function statusName(status: number, lang: Lang): string {
  const s = STATUS[status];
  return s ? s[lang === 'en' ? 0 : 1] : String(status);
}

/** "YYYY-MM-DD HH:mm:ss" (the API's times, UTC) → epoch ms. */
export function parseApiTime(s: string | null | undefined): number | null {
  if (!s) return null;
  const t = Date.parse(s.replace(' ', 'T') + 'Z');
  return Number.isNaN(t) ? null : t;
}

export function DaysLeft({ end, status }: { end: string | null | undefined; status: number }) {
  const { t } = useI18n();
  const ms = parseApiTime(end);
  if (ms === null || status !== 1 && status !== 3) return <span className="muted">—</span>;
  const days = Math.floor((ms - Date.now()) / 86_400_000);
  const cls = days < 0 ? 'days expired' : days <= 7 ? 'days danger' : days <= 30 ? 'days warn' : 'days ok';
  return <span className={cls}>{days < 0 ? t('expired') : t('daysLeft', { n: days })}</span>;
}
