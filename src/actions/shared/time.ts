// Times as the spec writes them: `YYYY-MM-DD HH:mm:ss`, UTC.

/** `YYYY-MM-DD HH:mm:ss` (UTC), the spec's time format. */
export function formatTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Accepts `YYYY-MM-DD HH:mm:ss` or `YYYY-MM-DD` (UTC); null if malformed. */
export function parseTime(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s.trim());
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.isNaN(t) ? null : t;
}
