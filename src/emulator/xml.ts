/**
 * The XML the emulator speaks: a builder for its few answer documents and a strict little parser for the one
 * document clients send (`CompleteMultipartUpload`). No library: there are four shapes, and a small parser
 * that refuses DTDs and unknown entities cannot be tricked into entity expansion.
 */

/** An element to build: either text content or child elements. */
export type XmlNode = { name: string; text: string } | { name: string; children: XmlNode[] };

/** The namespace GCS puts on multipart-upload answers (clients look `UploadId` up in it). */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

const DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>";

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${ENTITY_NAMES[c] ?? 'amp'};`);
}

const ENTITY_NAMES: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };
const ENTITY_VALUES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function render(node: XmlNode): string {
  const body = 'text' in node ? escapeXml(node.text) : node.children.map(render).join('');
  return `<${node.name}>${body}</${node.name}>`;
}

/** A complete document: declaration, then `root` (with `xmlns` when given) holding `children`. */
export function xmlDocument(root: string, children: XmlNode[], namespace?: string): string {
  const open = namespace === undefined ? `<${root}>` : `<${root} xmlns="${escapeXml(namespace)}">`;
  return `${DECLARATION}${open}${children.map(render).join('')}</${root}>`;
}

/** A parsed element. `name` is the local name (any `prefix:` dropped); `text` joins its direct text content. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

/** Thrown for anything that is not a well-formed, DTD-free document. */
export class XmlSyntaxError extends Error {
  override get name(): string {
    return 'XmlSyntaxError';
  }
}

/** Nesting deeper than this is not a document any client sends; refusing it bounds the parser's stack. */
const MAX_DEPTH = 32;

/** Parses `source` into its root element. Throws `XmlSyntaxError` on malformed input, DTDs or entities. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (why: string): never => {
    throw new XmlSyntaxError(`${why} at offset ${pos}`);
  };

  /** Moves past a construct that starts at `pos` with `open` and ends with `close`; returns where its content starts. */
  const skipPast = (open: string, close: string, what: string): number => {
    const start = pos + open.length;
    const end = source.indexOf(close, start);
    if (end < 0) fail(`unterminated ${what}`);
    pos = end + close.length;
    return start;
  };

  const skipMisc = (): void => {
    for (;;) {
      while (pos < source.length && /\s/.test(source[pos] as string)) pos += 1;
      if (source.startsWith('<?', pos)) {
        skipPast('<?', '?>', 'processing instruction');
      } else if (source.startsWith('<!--', pos)) {
        skipPast('<!--', '-->', 'comment');
      } else if (source.startsWith('<!', pos)) {
        fail('DTDs and declarations are not accepted');
      } else {
        return;
      }
    }
  };

  const decode = (raw: string): string =>
    raw.replace(/&([^;&]*);?/g, (match, entity: string) => {
      if (!match.endsWith(';')) fail('bare "&" in text');
      if (entity.startsWith('#')) {
        const code = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
        if (!Number.isInteger(code) || code < 0 || code > 0x10ffff || !/^#(x[0-9a-fA-F]+|[0-9]+)$/.test(entity)) {
          fail(`bad character reference "${match}"`);
        }
        return String.fromCodePoint(code);
      }
      const value = ENTITY_VALUES[entity];
      if (value === undefined) fail(`unknown entity "&${entity};"`);
      return value as string;
    });

  const element = (depth: number): XmlElement => {
    if (depth > MAX_DEPTH) fail('document nested too deeply');
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(source.slice(pos, pos + 4096));
    if (!open) return fail('expected a start tag');
    const qualified = open[1] as string;
    const node: XmlElement = { name: qualified.slice(qualified.indexOf(':') + 1), children: [], text: '' };
    pos += open[0].length;
    if (open[3] === '/') return node;
    for (;;) {
      const lt = source.indexOf('<', pos);
      if (lt < 0) fail(`unterminated element <${qualified}>`);
      node.text += decode(source.slice(pos, lt));
      pos = lt;
      if (source.startsWith('</', pos)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(pos, pos + 512));
        if (!close || close[1] !== qualified) fail(`expected </${qualified}>`);
        pos += (close as RegExpExecArray)[0].length;
        return node;
      }
      if (source.startsWith('<!--', pos)) {
        skipPast('<!--', '-->', 'comment');
      } else if (source.startsWith('<![CDATA[', pos)) {
        const start = skipPast('<![CDATA[', ']]>', 'CDATA section');
        node.text += source.slice(start, pos - 3);
      } else if (source.startsWith('<!', pos) || source.startsWith('<?', pos)) {
        fail('declarations are not accepted inside elements');
      } else {
        node.children.push(element(depth + 1));
      }
    }
  };

  skipMisc();
  const root = element(0);
  skipMisc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

/** The first child of `parent` named `name`, if any. */
export function childNamed(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((child) => child.name === name);
}
