import { XMLBuilder } from 'fast-xml-parser';
import { ISM_ELEMENTS, type Ism, type IsmEntry, SMIL_NAMESPACE } from './ism.js';
import { ATTRIBUTE_PREFIX } from './xmlNode.js';

type Ordered = Record<string, unknown>;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  preserveOrder: true,
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
});

/** An IIS-style `.ism` server manifest; `src` paths are written as given (relative to the `.ism`). */
export function writeIsm(ism: Ism): string {
  const head = ism.clientManifestRelativePath === undefined ? [] : [element('meta', { name: 'clientManifestRelativePath', content: ism.clientManifestRelativePath })];
  const xml = builder.build([
    { '?xml': [], ':@': attributes({ version: '1.0', encoding: 'utf-8' }) },
    element('smil', { xmlns: SMIL_NAMESPACE }, [element('head', {}, head), element('body', {}, [element('switch', {}, ism.entries.map(buildEntry))])]),
  ]) as string;
  return xml.endsWith('\n') ? xml : `${xml}\n`;
}

function buildEntry(e: IsmEntry): Ordered {
  const params: Ordered[] = [];
  if (e.trackId !== undefined) params.push(element('param', { name: 'trackID', value: String(e.trackId), valuetype: 'data' }));
  if (e.trackName !== undefined) params.push(element('param', { name: 'trackName', value: e.trackName, valuetype: 'data' }));
  return element(ISM_ELEMENTS[e.kind], { src: e.src, systemBitrate: e.systemBitrate?.toString(), systemLanguage: e.language }, params);
}

function element(name: string, attrs: Record<string, string | undefined>, children: Ordered[] = []): Ordered {
  return { [name]: children, ':@': attributes(attrs) };
}

function attributes(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[ATTRIBUTE_PREFIX + k] = v;
  return out;
}
