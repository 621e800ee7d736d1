/** The values a SegmentTemplate's identifiers take for one segment (ISO/IEC 23009-1 5.3.9.4.4). */
export interface TemplateValues {
  RepresentationID: string;
  Bandwidth: number;
  Number?: number;
  Time?: bigint;
}

const IDENTIFIER = /^(RepresentationID|Number|Bandwidth|Time)(?:%0(\d{1,2})d)?$/;

/**
 * Fills a SegmentTemplate `media` or `initialization` template: `$$` is a dollar sign,
 * `$Number$`, `$Time$` and `$Bandwidth$` may carry a width (`$Number%05d$`: zero-padded),
 * `$RepresentationID$` may not. Returns the problem as a string when the template is
 * malformed or uses an identifier with no value here (`$Time$` in `initialization`).
 */
export function fillSegmentTemplate(template: string, values: TemplateValues): string | { problem: string } {
  let out = '';
  for (let i = 0; i < template.length; ) {
    const open = template.indexOf('$', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf('$', open + 1);
    if (close < 0) return { problem: `template ${JSON.stringify(template)} has an unpaired '$' at ${open} (a literal dollar is written '$$')` };
    const inner = template.slice(open + 1, close);
    i = close + 1;
    if (inner === '') {
      out += '$';
      continue;
    }
    const m = IDENTIFIER.exec(inner);
    if (m === null) return { problem: `template ${JSON.stringify(template)} has an unknown identifier $${inner}$ (known: $RepresentationID$, $Number$, $Bandwidth$, $Time$, with %0<width>d for the numbers)` };
    const [, name = '', width] = m;
    if (name === 'RepresentationID') {
      if (width !== undefined) return { problem: `template ${JSON.stringify(template)}: $RepresentationID$ takes no format tag` };
      out += values.RepresentationID;
      continue;
    }
    const value = values[name as 'Number' | 'Bandwidth' | 'Time'];
    if (value === undefined) return { problem: `template ${JSON.stringify(template)} uses $${name}$, which has no value there` };
    out += value.toString().padStart(width === undefined ? 0 : Number(width), '0');
  }
  return out;
}
