/** Number formatting shared by the text and HTML views. */

/** Seconds as a short duration: `420µs`, `4.21ms`, `42.1ms`, `421ms`, `4.21s`; `-` when unknown. */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const ms = seconds * 1000;
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 100) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
}

/** `2 (10.0%)`, `0`. */
export function errorsText(errors: number, calls: number): string {
  if (errors === 0) return '0';
  return `${errors} (${percent(calls > 0 ? errors / calls : 0)})`;
}

export function percent(rate: number): string {
  const p = rate * 100;
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)}%`;
}

/** Compact counts for labels where space is short: `950`, `12.3k`, `4.1M`. */
export function compact(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
}
