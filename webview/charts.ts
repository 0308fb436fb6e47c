import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
  type Plugin,
} from 'chart.js';
import { readPalette, type Palette } from './theme';

/**
 * Chart.js set-up for a strict CSP: chart.js 4 injects no stylesheet and sets only CSSOM properties on the
 * canvas, which a CSP without 'unsafe-inline' allows. Animations are off: charts are read, exported as PNG
 * and tested, so they should be drawn completely on the first frame.
 */
Chart.register(
  ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Legend, LinearScale, LineController,
  LineElement, LogarithmicScale, PointElement, ScatterController, Title, Tooltip,
);
Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.plugins.legend.labels.boxWidth = 12;

/** Fills the canvas with the editor background, so exported PNGs are readable outside the editor. */
const background: Plugin = {
  id: 'lutdlaBackground',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = currentPalette.background;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};
Chart.register(background);

let currentPalette: Palette = { foreground: '#ccc', muted: '#999', grid: '#444', background: '#1e1e1e', series: ['#3794ff'], highlight: '#007fd4', font: 'sans-serif', fontSize: 13 };

/** A chart and the function that (re)applies theme colours to its config. */
interface Themed {
  chart: Chart;
  recolor: (chart: Chart, p: Palette) => void;
}
const charts: Themed[] = [];

function applyDefaults(p: Palette): void {
  Chart.defaults.color = p.foreground;
  Chart.defaults.borderColor = p.grid;
  Chart.defaults.font.family = p.font;
  Chart.defaults.font.size = p.fontSize;
}

export function palette(): Palette {
  return currentPalette;
}

/** Scale colours are not taken from defaults once a chart exists; set them on every chart's scales. */
function recolorScales(chart: Chart, p: Palette): void {
  const scales = chart.options.scales ?? {};
  for (const s of Object.values(scales)) {
    if (!s) continue;
    if (s.ticks) s.ticks.color = p.foreground;
    if ('grid' in s && s.grid) s.grid.color = p.grid;
    if ('title' in s && s.title) s.title.color = p.foreground;
    if ('border' in s && s.border) s.border.color = p.grid;
  }
  const plugins = chart.options.plugins;
  if (plugins?.legend?.labels) plugins.legend.labels.color = p.foreground;
  if (plugins?.title) plugins.title.color = p.foreground;
}

export function makeChart<T extends ChartType>(
  canvas: HTMLCanvasElement,
  config: ChartConfiguration<T>,
  recolor: (chart: Chart<T>, p: Palette) => void,
): Chart<T> {
  const paint = (c: Chart, p: Palette) => {
    recolorScales(c, p);
    recolor(c as unknown as Chart<T>, p);
  };
  // Colour the config before the first draw (the chart resolves element options once per update).
  config.options ??= {} as NonNullable<typeof config.options>;
  paint({ data: config.data, options: config.options } as unknown as Chart, currentPalette);
  const chart = new Chart(canvas, config);
  charts.push({ chart: chart as unknown as Chart, recolor: paint });
  return chart;
}

export function destroyCharts(): void {
  for (const c of charts.splice(0)) c.chart.destroy();
}

/** Re-reads the theme and repaints every chart with it. */
export function retheme(): void {
  currentPalette = readPalette();
  applyDefaults(currentPalette);
  for (const c of charts) {
    c.recolor(c.chart, currentPalette);
    c.chart.update();
  }
}

export function initTheme(): void {
  currentPalette = readPalette();
  applyDefaults(currentPalette);
}

/** Series colours: the theme's chart colours, then the same mixed towards the background, then the foreground. */
export function seriesColor(p: Palette, i: number): string {
  const n = p.series.length;
  const base = p.series[i % n];
  const round = Math.floor(i / n) % 3;
  if (round === 0) return base;
  return mix(base, round === 1 ? p.background : p.foreground, 0.45);
}

function rgb(color: string): [number, number, number] | undefined {
  const h = /^#([0-9a-f]{6})/i.exec(color.trim());
  if (h) {
    const v = parseInt(h[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const s = /^#([0-9a-f]{3})$/i.exec(color.trim());
  if (s) return s[1].split('').map((x) => parseInt(x + x, 16)) as [number, number, number];
  const f = /^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/i.exec(color.trim());
  return f ? [Number(f[1]), Number(f[2]), Number(f[3])] : undefined;
}

function mix(a: string, b: string, t: number): string {
  const x = rgb(a);
  const y = rgb(b);
  if (!x || !y) return a;
  const c = x.map((v, i) => Math.round(v * (1 - t) + y[i] * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

export { Chart };
