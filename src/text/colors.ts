/**
 * Colors as cues keep them: one of WebVTT's eight default color classes by name (what
 * every WebVTT player styles without a STYLE block), else `#rrggbb` (`#rrggbbaa` when
 * not opaque). TTML names and `rgb()`/`rgba()` forms are reduced to that, so a color
 * survives TTML -> WebVTT -> TTML unchanged.
 */
export const WEBVTT_COLOR_CLASSES: Readonly<Record<string, string>> = {
  white: '#ffffff',
  lime: '#00ff00',
  cyan: '#00ffff',
  red: '#ff0000',
  yellow: '#ffff00',
  magenta: '#ff00ff',
  blue: '#0000ff',
  black: '#000000',
};

/** TTML 1 named colors (tts:color) besides WebVTT's. */
const TTML_NAMED: Readonly<Record<string, string>> = {
  ...WEBVTT_COLOR_CLASSES,
  silver: '#c0c0c0',
  gray: '#808080',
  maroon: '#800000',
  purple: '#800080',
  fuchsia: '#ff00ff',
  green: '#008000',
  olive: '#808000',
  navy: '#000080',
  teal: '#008080',
  aqua: '#00ffff',
};

const BY_HEX = new Map(Object.entries(WEBVTT_COLOR_CLASSES).map(([name, hex]) => [hex, name]));

/** The canonical form of a CSS/TTML color, or undefined when it is not one smoothpub reads. */
export function normalizeColor(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  let hex: string | undefined = TTML_NAMED[v];
  let m: RegExpExecArray | null;
  if (hex === undefined && (m = /^#([0-9a-f]{3,4})$/.exec(v)) !== null) {
    hex = `#${[...m[1]!].map((d) => d + d).join('')}`;
  } else if (hex === undefined && /^#([0-9a-f]{6}|[0-9a-f]{8})$/.test(v)) {
    hex = v;
  } else if (hex === undefined && (m = /^rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(v)) !== null) {
    const parts = [m[1], m[2], m[3]].map((d) => Math.min(255, Number(d)));
    // TTML's rgba() alpha is 0-255; CSS's is 0-1.
    const a = m[4] === undefined ? 255 : v.startsWith('rgba') && m[4].includes('.') ? Math.round(Number(m[4]) * 255) : Math.min(255, Number(m[4]));
    if (a !== 255) parts.push(a);
    hex = `#${parts.map((n) => n.toString(16).padStart(2, '0')).join('')}`;
  }
  if (hex === undefined) return undefined;
  if (hex.length === 9 && hex.endsWith('ff')) hex = hex.slice(0, 7);
  return BY_HEX.get(hex) ?? hex;
}

/** `#rrggbb` of a canonical color. */
export function colorHex(color: string): string {
  return WEBVTT_COLOR_CLASSES[color] ?? color;
}
