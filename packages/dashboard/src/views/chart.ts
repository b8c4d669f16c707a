import type { Sample } from '../sampler.js';
import { html, type SafeHtml } from './html.js';

const SERIES = [
  { key: 'ready', label: 'Ready', cls: 's-ready' },
  { key: 'inFlight', label: 'In flight', cls: 's-inflight' },
  { key: 'deadLettered', label: 'Dead', cls: 's-dead' },
] as const;

/**
 * Pure: an inline SVG line chart of ready / in flight / dead over the samples (no script, no
 * library), with a text summary for screen readers.
 */
export function statsChart(samples: readonly Sample[]): SafeHtml {
  if (samples.length < 2) return html`<p class="hint">The chart appears after two samples.</p>`;
  const w = 600;
  const h = 160;
  const t0 = samples[0]?.stats.at.getTime() ?? 0;
  const t1 = samples[samples.length - 1]?.stats.at.getTime() ?? 1;
  const max = Math.max(1, ...samples.flatMap((s) => SERIES.map((x) => s.stats[x.key] ?? 0)));
  const x = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * (w - 40) + 35;
  const y = (v: number) => h - 20 - (v / max) * (h - 30);
  const line = (key: (typeof SERIES)[number]['key']) =>
    samples
      .map((s) => `${x(s.stats.at.getTime()).toFixed(1)},${y(s.stats[key] ?? 0).toFixed(1)}`)
      .join(' ');
  const minutes = Math.round((t1 - t0) / 60_000);
  return html`<figure class="chart">
<svg viewBox="0 0 ${w} ${h}" role="img" aria-labelledby="chart-title">
<title id="chart-title">Ready, in flight and dead over the last ${minutes} min (max ${max})</title>
<line class="axis" x1="35" y1="${h - 20}" x2="${w - 5}" y2="${h - 20}"/>
<line class="axis" x1="35" y1="10" x2="35" y2="${h - 20}"/>
<text x="30" y="14" text-anchor="end">${max}</text><text x="30" y="${h - 20}" text-anchor="end">0</text>
${SERIES.map((s) => html`<polyline class="${s.cls}" points="${line(s.key)}"/>`)}
</svg>
<figcaption>${SERIES.map((s) => html`<span class="key ${s.cls}">${s.label}</span> `)} over ${samples.length} samples</figcaption>
</figure>`;
}
