// Times as the spec writes them: `YYYY-MM-DD HH:mm:ss`, UTC.

const DAY_MS = 86_400_000;
/** Year 10000: toISOString writes a six-digit year from there. */
const FAST_UNTIL = 253_402_300_800_000;
/** `YYYY-MM-DD ` by day number: a listed page formats ~50 times, mostly of a few days. */
const dayPrefixes = new Map<number, string>();
const two = (n: number) => (n < 10 ? '0' + n : String(n));

/** `YYYY-MM-DD HH:mm:ss` (UTC), the spec's time format. */
export function formatTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  // The day's text kept, the time of day by arithmetic: a tenth of toISOString's cost.
  if (!(ms >= 0 && ms < FAST_UNTIL)) return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 10) + ' ';
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  return prefix + two(Math.floor(s / 3600)) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
}

/** Accepts `YYYY-MM-DD HH:mm:ss` or `YYYY-MM-DD` (UTC); null if malformed. */
export function parseTime(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s.trim());
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.isNaN(t) ? null : t;
}
