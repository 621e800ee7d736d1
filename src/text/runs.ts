import type { TextRun } from './model.js';

/** The style a run of text has, as it is being built. */
export interface RunStyle {
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  color?: string;
}

/**
 * Collects runs from text pieces: newlines become line-break runs, adjacent pieces of one
 * style merge, and only true flags are set (so equal styles compare equal).
 */
export class RunBuilder {
  readonly runs: TextRun[] = [];

  text(text: string, style: RunStyle): void {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (i > 0) this.lineBreak();
      if (line !== '') this.piece(line, style);
    });
  }

  lineBreak(): void {
    this.runs.push({ lineBreak: true });
  }

  /** The runs without leading/trailing line breaks and with no empty text. */
  finish(): TextRun[] {
    const r = this.runs;
    while (r.length > 0 && 'lineBreak' in r[0]!) r.shift();
    while (r.length > 0 && 'lineBreak' in r[r.length - 1]!) r.pop();
    return r;
  }

  private piece(text: string, style: RunStyle): void {
    const run: TextRun = { text };
    if (style.bold === true) run.bold = true;
    if (style.italic === true) run.italic = true;
    if (style.underline === true) run.underline = true;
    if (style.color !== undefined) run.color = style.color;
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && !('lineBreak' in last) && sameStyle(last, run)) last.text += text;
    else this.runs.push(run);
  }
}

export function sameStyle(a: RunStyle, b: RunStyle): boolean {
  return a.bold === b.bold && a.italic === b.italic && a.underline === b.underline && a.color === b.color;
}

/** The plain text of runs, line breaks as `\n`. */
export function plainText(runs: readonly TextRun[]): string {
  return runs.map((r) => ('lineBreak' in r ? '\n' : r.text)).join('');
}
