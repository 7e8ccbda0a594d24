import {
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  BarController,
  BarElement,
  type ChartConfiguration
} from 'chart.js';
import { useEffect, useId, useRef, useState } from 'react';
import { useTheme } from '../lib/theme';

ChartJS.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  CategoryScale,
  Filler,
  Legend,
  Tooltip,
  BarController,
  BarElement
);

export interface ChartSeries {
  label: string;
  /** x: epoch ms (time axis) or an index. */
  points: readonly { x: number; y: number | null }[];
  /** A CSS custom property name (e.g. --series-1) so the colour follows the theme. */
  colorVar?: string;
  /** Plot on the right axis. */
  right?: boolean;
  stepped?: boolean;
}

const PALETTE = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * A chart.js line chart whose colours come from the theme's CSS variables, rebuilt when the theme
 * changes so axes and labels stay readable in light and dark. `xTime` formats x as clock time.
 */
export function LineChart({
  series,
  label,
  xTime = true,
  yLabel,
  yRightLabel,
  yMax,
  yRightMax,
  height = 220,
  kind = 'line',
  xLabels,
  showPoints = false
}: {
  series: readonly ChartSeries[];
  label: string;
  xTime?: boolean;
  yLabel?: string;
  yRightLabel?: string;
  yMax?: number;
  yRightMax?: number;
  height?: number;
  kind?: 'line' | 'bar';
  /** Category labels (bar charts comparing runs). */
  xLabels?: readonly string[];
  /** Draw a dot on every point (sparse series such as one value per benchmark run). */
  showPoints?: boolean;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<ChartJS | null>(null);
  const { resolved } = useTheme();

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const text = cssVar('--text');
    const muted = cssVar('--muted');
    const grid = cssVar('--border');
    const hasRight = series.some((s) => s.right);
    const config: ChartConfiguration = {
      type: kind,
      data: {
        labels: xLabels ? [...xLabels] : undefined,
        datasets: series.map((s, i) => {
          const color = cssVar(s.colorVar ?? PALETTE[i % PALETTE.length]!);
          return {
            label: s.label,
            data: xLabels ? s.points.map((p) => p.y) : s.points.map((p) => ({ x: p.x, y: p.y })),
            borderColor: color,
            backgroundColor: kind === 'bar' ? color : `${color}33`,
            pointRadius: showPoints ? 3 : 0,
            borderWidth: 1.5,
            tension: 0.2,
            stepped: s.stepped ?? false,
            yAxisID: s.right ? 'y1' : 'y',
            spanGaps: true
          };
        }) as never
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: xLabels ? undefined : false,
        normalized: true,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { labels: { color: text, boxWidth: 12 } },
          tooltip: {
            callbacks: xTime
              ? { title: (items) => (items[0] ? new Date(Number(items[0].parsed.x)).toLocaleTimeString() : '') }
              : {}
          }
        },
        scales: {
          x: xLabels
            ? { type: 'category', ticks: { color: muted }, grid: { color: grid } }
            : {
                type: 'linear',
                ticks: {
                  color: muted,
                  maxTicksLimit: 6,
                  callback: (v) => (xTime ? new Date(Number(v)).toLocaleTimeString() : String(v))
                },
                grid: { color: grid }
              },
          y: {
            type: 'linear',
            beginAtZero: true,
            max: yMax,
            ticks: { color: muted },
            grid: { color: grid },
            title: yLabel ? { display: true, text: yLabel, color: muted } : undefined
          },
          ...(hasRight
            ? {
                y1: {
                  type: 'linear' as const,
                  position: 'right' as const,
                  beginAtZero: true,
                  max: yRightMax,
                  ticks: { color: muted, stepSize: yRightMax !== undefined && yRightMax <= 5 ? 1 : undefined },
                  grid: { drawOnChartArea: false },
                  title: yRightLabel ? { display: true, text: yRightLabel, color: muted } : undefined
                }
              }
            : {})
        }
      }
    };
    chartRef.current?.destroy();
    chartRef.current = new ChartJS(canvas, config);
    return () => {
      chartRef.current?.destroy();
      chartRef.current = null;
    };
  }, [series, resolved, xTime, yLabel, yRightLabel, yMax, yRightMax, kind, xLabels, showPoints]);

  const empty = series.every((s) => s.points.length === 0);
  const [asTable, setAsTable] = useState(false);
  const tableId = useId();
  return (
    <figure className="chart-figure">
      <div className="chart" style={{ height, display: asTable ? 'none' : undefined }}>
        <canvas ref={canvasRef} role="img" aria-label={empty ? `${label}: no samples yet` : label} />
      </div>
      <figcaption className="chart-caption">
        <span className="sr-only">{label}</span>
        <button
          type="button"
          className="chart-toggle"
          aria-expanded={asTable}
          aria-controls={tableId}
          onClick={() => setAsTable((v) => !v)}
        >
          {asTable ? 'Show as chart' : 'Show as table'}
        </button>
      </figcaption>
      {asTable && (
        <div id={tableId}>
          <ChartTable series={series} label={label} xTime={xTime} xLabels={xLabels} />
        </div>
      )}
    </figure>
  );
}

/** The most rows the table alternative shows (the newest ones), so a long series stays readable. */
export const CHART_TABLE_ROWS = 200;

function formatY(y: number | null | undefined): string {
  if (y === null || y === undefined || !Number.isFinite(y)) return '—';
  return Number.isInteger(y) ? y.toLocaleString() : y.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

/**
 * The chart's figures as a table: one row per x (a time, an index or a category label), one column
 * per series, so the numbers are readable without the canvas (screen readers, copying, exactness).
 */
export function ChartTable({
  series,
  label,
  xTime = true,
  xLabels
}: {
  series: readonly ChartSeries[];
  label: string;
  xTime?: boolean;
  xLabels?: readonly string[];
}) {
  let rows: { key: string; x: string; ys: (number | null | undefined)[] }[];
  if (xLabels) {
    rows = xLabels.map((x, i) => ({ key: `${i}`, x, ys: series.map((s) => s.points[i]?.y) }));
  } else {
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
    const byX = series.map((s) => new Map(s.points.map((p) => [p.x, p.y])));
    rows = xs.map((x) => ({
      key: String(x),
      x: xTime ? new Date(x).toLocaleString() : String(x),
      ys: byX.map((m) => m.get(x))
    }));
  }
  const hidden = Math.max(0, rows.length - CHART_TABLE_ROWS);
  const shown = hidden > 0 ? rows.slice(-CHART_TABLE_ROWS) : rows;
  return (
    <div className="table-wrap chart-table" tabIndex={0} role="region" aria-label={`${label} (figures)`}>
      <table className="table" aria-label={`${label} (figures)`} data-testid="chart-table">
        {hidden > 0 && (
          <caption>
            The newest {CHART_TABLE_ROWS.toLocaleString()} of {rows.length.toLocaleString()} points
          </caption>
        )}
        <thead>
          <tr>
            <th scope="col">{xLabels ? 'Item' : xTime ? 'Time' : 'x'}</th>
            {series.map((s) => (
              <th scope="col" key={s.label}>
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 ? (
            <tr>
              <td colSpan={series.length + 1}>No samples yet.</td>
            </tr>
          ) : (
            shown.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.x}</th>
                {r.ys.map((y, i) => (
                  <td key={series[i]!.label} className="num">
                    {formatY(y)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
