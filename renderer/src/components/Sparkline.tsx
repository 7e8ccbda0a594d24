/** A small SVG line of recent values; the accessible name states the trend in words. */
export function Sparkline({
  values,
  label,
  width = 120,
  height = 28
}: {
  values: readonly number[];
  /** What is drawn, e.g. "ORDERS size"; the trend is appended. */
  label: string;
  width?: number;
  height?: number;
}) {
  const trend = trendOf(values);
  const name = values.length < 2 ? `${label}: not enough samples yet` : `${label}: ${trend}`;
  if (values.length < 2) {
    return (
      <span className="sparkline-empty" role="img" aria-label={name} title={name}>
        —
      </span>
    );
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = width / (values.length - 1);
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`)
    .join(' ');
  return (
    <svg
      className={`sparkline sparkline-${trend}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={name}
    >
      <title>{name}</title>
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
    </svg>
  );
}

/** rising / falling / flat, comparing the mean of the last third with the first third. */
export function trendOf(values: readonly number[]): 'rising' | 'falling' | 'flat' {
  if (values.length < 2) return 'flat';
  const third = Math.max(1, Math.floor(values.length / 3));
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(values.slice(0, third));
  const last = mean(values.slice(-third));
  const scale = Math.max(Math.abs(first), Math.abs(last), 1);
  if ((last - first) / scale > 0.02) return 'rising';
  if ((first - last) / scale > 0.02) return 'falling';
  return 'flat';
}
