/**
 * Colours for charts, read from the --vscode-* CSS variables VS Code sets on the page, and a watcher that
 * re-applies them when VS Code switches theme (it changes the body class: vscode-light, vscode-dark,
 * vscode-high-contrast, vscode-high-contrast-light).
 */
export interface Palette {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  series: string[];
  highlight: string;
  font: string;
  fontSize: number;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(): 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readPalette(): Palette {
  const s = getComputedStyle(document.body);
  const light = themeKind() === 'light' || themeKind() === 'high-contrast-light';
  const fg = cssVar(s, '--vscode-charts-foreground', cssVar(s, '--vscode-editor-foreground', light ? '#333333' : '#cccccc'));
  return {
    foreground: fg,
    muted: cssVar(s, '--vscode-descriptionForeground', light ? '#717171' : '#9d9d9d'),
    grid: cssVar(s, '--vscode-charts-lines', light ? 'rgba(0,0,0,0.15)' : 'rgba(255,255,255,0.15)'),
    background: cssVar(s, '--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    series: [
      cssVar(s, '--vscode-charts-blue', light ? '#1a85ff' : '#3794ff'),
      cssVar(s, '--vscode-charts-orange', light ? '#d18616' : '#d18616'),
      cssVar(s, '--vscode-charts-green', light ? '#388a34' : '#89d185'),
      cssVar(s, '--vscode-charts-purple', light ? '#652d90' : '#b180d7'),
      cssVar(s, '--vscode-charts-red', light ? '#e51400' : '#f14c4c'),
      cssVar(s, '--vscode-charts-yellow', light ? '#bf8803' : '#cca700'),
    ],
    highlight: cssVar(s, '--vscode-focusBorder', light ? '#0090f1' : '#007fd4'),
    font: cssVar(s, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(cssVar(s, '--vscode-font-size', '13')) || 13,
  };
}

/** Calls `apply` whenever the body class or the root's theme variables change. */
export function watchTheme(apply: () => void): MutationObserver {
  let pending = false;
  const obs = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      apply();
    });
  });
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return obs;
}

/** A colour with alpha, for fills: accepts #rgb, #rrggbb, rgb() and rgba(). */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(c);
  if (m) {
    const [r, g, b] = m[1].split('').map((x) => parseInt(x + x, 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c);
  if (m) {
    const n = parseInt(m[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^,]+),([^,]+),([^,)]+)/i.exec(c);
  if (rgb) return `rgba(${rgb[1].trim()}, ${rgb[2].trim()}, ${rgb[3].trim()}, ${alpha})`;
  return c;
}
