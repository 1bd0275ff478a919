/**
 * The bench's one picture: the distribution of change-to-publish latency as an SVG, one
 * panel per schedule, one cumulative curve per population. Hand-written SVG (no charting
 * dependency): axes, ticks, a curve per series, the p50 and p99 marked, and the target.
 */

export interface LatencySeries {
  readonly label: string;
  /** Ascending latencies, milliseconds. */
  readonly latenciesMs: readonly number[];
  readonly color: string;
}

export interface LatencyPanel {
  readonly title: string;
  readonly series: readonly LatencySeries[];
  /** Right end of the x axis, seconds. */
  readonly maxSeconds: number;
  readonly tickSeconds: number;
  /** A vertical line for a p99 target, seconds. */
  readonly targetSeconds?: number;
}

const PANEL_WIDTH = 400;
const PANEL_HEIGHT = 260;
const MARGIN = { top: 48, right: 24, bottom: 84, left: 56 };
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

const xmlEscape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const fixed = (n: number) => Number(n.toFixed(1));

/** Nearest-rank quantile of an ascending list. */
function rankQuantile(sorted: readonly number[], q: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

function panelSvg(panel: LatencyPanel, originX: number): string {
  const x0 = originX + MARGIN.left;
  const y0 = MARGIN.top;
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (seconds: number) =>
    fixed(x0 + (Math.min(seconds, panel.maxSeconds) / panel.maxSeconds) * plotWidth);
  const sy = (fraction: number) => fixed(y0 + plotHeight - fraction * plotHeight);
  const out: string[] = [];
  out.push(
    `<text x="${fixed(x0 + plotWidth / 2)}" y="${y0 - 18}" text-anchor="middle" font-size="14" font-weight="bold" ${FONT}>${xmlEscape(panel.title)}</text>`,
  );
  // Grid and ticks.
  for (let s = 0; s <= panel.maxSeconds + 1e-9; s += panel.tickSeconds) {
    out.push(
      `<line x1="${sx(s)}" y1="${y0}" x2="${sx(s)}" y2="${y0 + plotHeight}" stroke="#e5e5e5"/>`,
      `<text x="${sx(s)}" y="${y0 + plotHeight + 16}" text-anchor="middle" font-size="11" ${FONT}>${s}</text>`,
    );
  }
  for (let f = 0; f <= 1.0001; f += 0.25) {
    out.push(
      `<line x1="${x0}" y1="${sy(f)}" x2="${x0 + plotWidth}" y2="${sy(f)}" stroke="#e5e5e5"/>`,
      `<text x="${x0 - 6}" y="${sy(f) + 4}" text-anchor="end" font-size="11" ${FONT}>${Math.round(f * 100)}%</text>`,
    );
  }
  out.push(
    `<rect x="${x0}" y="${y0}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
    `<text x="${fixed(x0 + plotWidth / 2)}" y="${y0 + plotHeight + 34}" text-anchor="middle" font-size="12" ${FONT}>publish time − change time (s)</text>`,
    `<text transform="translate(${originX + 14} ${fixed(y0 + plotHeight / 2)}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>changes published</text>`,
  );
  if (panel.targetSeconds !== undefined) {
    const x = sx(panel.targetSeconds);
    out.push(
      `<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + plotHeight}" stroke="#c0392b" stroke-dasharray="5,4"/>`,
      `<text x="${x + 4}" y="${y0 + plotHeight - 8}" font-size="11" fill="#c0392b" ${FONT}>p99 target</text>`,
      `<text x="${x + 4}" y="${y0 + plotHeight - 22}" font-size="11" fill="#c0392b" ${FONT}>${panel.targetSeconds} s</text>`,
    );
  }
  // One cumulative step curve per series, from 200 quantiles (plenty at this size).
  panel.series.forEach((series, index) => {
    const sorted = series.latenciesMs;
    if (sorted.length === 0) return;
    const points: string[] = [`${sx(0)},${sy(0)}`];
    for (let i = 1; i <= 200; i++) {
      const q = i / 200;
      points.push(`${sx(rankQuantile(sorted, q) / 1000)},${sy(q)}`);
    }
    out.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${series.color}" stroke-width="2" stroke-opacity="0.85"/>`,
    );
    const p50 = rankQuantile(sorted, 0.5) / 1000;
    const p99 = rankQuantile(sorted, 0.99) / 1000;
    for (const [q, value] of [
      [0.5, p50],
      [0.99, p99],
    ] as const) {
      out.push(`<circle cx="${sx(value)}" cy="${sy(q)}" r="3.5" fill="${series.color}"/>`);
    }
    const legendY = y0 + plotHeight + 54 + 14 * index;
    const legendX = x0;
    out.push(
      `<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 16}" y2="${legendY - 4}" stroke="${series.color}" stroke-width="3"/>`,
      `<text x="${legendX + 20}" y="${legendY}" font-size="11" ${FONT}>${xmlEscape(`${series.label}: p50 ${p50.toFixed(0)} s, p99 ${p99.toFixed(0)} s`)}</text>`,
    );
  });
  return out.join('\n');
}

/** The whole picture: panels side by side, with a caption line. */
export function latencyChartSvg(panels: readonly LatencyPanel[], caption: string): string {
  const width = PANEL_WIDTH * panels.length;
  const height = PANEL_HEIGHT + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<title>${xmlEscape(caption)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.map((panel, i) => panelSvg(panel, i * PANEL_WIDTH)),
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#555" ${FONT}>${xmlEscape(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
