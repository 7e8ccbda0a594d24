/** Number and time formatting in the operator's locale. */
import { plural } from '../../../main/contract/text';

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function formatClock(iso: string | number | null | undefined): string {
  if (iso == null) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

export function formatNumber(n: number | null | undefined, digits = 0): string {
  if (n == null || Number.isNaN(n)) return '—';
  return n.toLocaleString(undefined, { maximumFractionDigits: digits });
}

/** "1 message", "1,200 messages": a count in the operator's locale with its noun. */
export function formatCount(n: number, word: string, many?: string): string {
  return plural(n, word, many, formatNumber);
}

export function formatBytes(n: number | null | undefined): string {
  if (n == null || n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toLocaleString(undefined, { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`;
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio == null) return '—';
  return `${(ratio * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })} %`;
}

/** A duration in ms as 1.2 s / 3 min / 2 h / 7 d. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = s / 60;
  if (m < 120) return `${Math.round(m)} min`;
  const h = m / 60;
  if (h < 48) return `${Math.round(h)} h`;
  return `${Math.round(h / 24)} d`;
}

/** "3 min ago" relative to now. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  return `${formatDuration(Math.max(0, now - t))} ago`;
}
