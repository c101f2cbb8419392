/**
 * The little XML the multipart-upload protocol needs: one document we send (`CompleteMultipartUpload`) and the
 * ones we read (`InitiateMultipartUploadResult`, `ListPartsResult`, `CompleteMultipartUploadResult`, `Error`).
 *
 * No XML library: the parser below is written for untrusted input. It refuses DTDs and entity definitions
 * (so no entity expansion, no external fetches), knows only the five predefined entities and numeric character
 * references, and bounds input size, nesting and element count, so a hostile server cannot make it use
 * unbounded memory or stack.
 */
import { InvalidResponse, type ResponseContext } from '../errors.js';

/** A parsed element. `name` is the local name (a `prefix:` is dropped); `text` joins its direct text content. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export interface ParseXmlOptions {
  /**
   * Largest document accepted, in UTF-16 code units (about bytes for the ASCII these documents are).
   * A ListPartsResult page of 1,000 parts is about 200 KB.
   * @default 1_048_576
   */
  maxLength?: number;
  /** The response the document came from, attached to the InvalidResponse thrown for bad input. */
  response?: ResponseContext;
}

/** Depth of real documents is 3; anything deep is hostile and would only cost stack. */
const MAX_DEPTH = 16;
/** A ListParts page holds at most 1,000 parts of 6 elements; twenty times that is plenty. */
const MAX_ELEMENTS = 20_000;
const DEFAULT_MAX_LENGTH = 1024 * 1024;

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** One markup construct or a run of text, found by a single sticky scan. */
const TOKEN =
  /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<!|<\/([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|[^<]+|</y;
const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;
const ATTRIBUTE_VALUE = /=\s*(?:"([^"]*)"|'([^']*)')/g;

function decodeEntities(raw: string, fail: (why: string) => never): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s]{0,12});|&/g, (match, entity: string | undefined) => {
    if (entity === undefined) return fail('a bare "&" in text');
    if (entity in PREDEFINED) return PREDEFINED[entity] as string;
    const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(entity);
    const code = numeric ? Number.parseInt(numeric[1] ?? (numeric[2] as string), numeric[1] ? 16 : 10) : NaN;
    if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) return fail(`an unknown entity "${match}"`);
    return String.fromCodePoint(code);
  });
}

/**
 * Parses `source` into its root element.
 *
 * @throws InvalidResponse for malformed documents, DTDs or entity declarations, unknown entities, documents
 *   longer than `maxLength`, nested deeper than 16 or holding more than 20,000 elements.
 */
export function parseXml(source: string, options: ParseXmlOptions = {}): XmlElement {
  const fail = (why: string): never => {
    throw new InvalidResponse(`The server sent an XML document that cannot be accepted: ${why}`, {
      ...(options.response ? { response: options.response } : {}),
    });
  };
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (source.length > maxLength) fail(`it is ${source.length} characters long, more than the ${maxLength} allowed`);

  // A byte-order mark may precede the document.
  const start = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  TOKEN.lastIndex = start;
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (!match) return fail(`unexpected input at offset ${at}`);
    const token = match[0];
    const parent = stack.at(-1);
    if (token === '<!') return fail('DTDs, entity definitions and other declarations are refused');
    if (token === '<') return fail(`a "<" that starts no valid tag at offset ${at}`);
    if (match[3] !== undefined) {
      // A start tag.
      const qualified = match[3];
      if (!NAME.test(qualified)) fail(`an invalid element name "${qualified}"`);
      if (root !== undefined && stack.length === 0) fail('content after the root element');
      if (stack.length >= MAX_DEPTH) fail(`elements nested deeper than ${MAX_DEPTH}`);
      if (++elements > MAX_ELEMENTS) fail(`more than ${MAX_ELEMENTS} elements`);
      // Attribute values are decoded only to reject bad entities in them; none of these documents needs them.
      for (const attribute of (match[4] ?? '').matchAll(ATTRIBUTE_VALUE)) decodeEntities(attribute[1] ?? attribute[2] ?? '', fail);
      const element: XmlElement = { name: qualified.slice(qualified.indexOf(':') + 1), children: [], text: '' };
      if (parent) parent.children.push(element);
      else root = element;
      if (match[5] !== '/') stack.push(element);
    } else if (match[2] !== undefined) {
      // An end tag: it must close the innermost open element.
      const open = stack.pop();
      if (!open || match[2].slice(match[2].indexOf(':') + 1) !== open.name) fail(`an unexpected end tag </${match[2]}>`);
    } else if (match[1] !== undefined) {
      if (!parent) fail('character data outside the root element');
      (parent as XmlElement).text += match[1];
    } else if (token.startsWith('<')) {
      // A comment or processing instruction (the XML declaration among them): nothing to keep.
    } else if (parent) {
      parent.text += decodeEntities(token, fail);
    } else if (token.trim() !== '') {
      fail('text outside the root element');
    }
  }
  if (!root) return fail('it has no root element');
  if (stack.length > 0) fail(`it ends inside <${stack.at(-1)?.name}> (truncated)`);
  return root;
}

/** The first child of `parent` with local name `name`. */
export function childElement(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((child) => child.name === name);
}

/** The trimmed text of `parent`'s first `name` child, or undefined when there is no such child. */
export function childText(parent: XmlElement, name: string): string | undefined {
  return childElement(parent, name)?.text.trim();
}

/**
 * Text escaped as Python's ElementTree writes it with an ASCII encoding, which google-resumable-media uses for
 * the CompleteMultipartUpload body: `&`, `<` and `>` become entities, quotes stay as they are (ETags are
 * quoted), and every non-ASCII character becomes a decimal character reference (`é` → `&#233;`).
 */
export function escapeXmlText(text: string): string {
  return text.replace(/[&<>]|[^\x00-\x7f]/gu, (c) => {
    if (c === '&') return '&amp;';
    if (c === '<') return '&lt;';
    if (c === '>') return '&gt;';
    return `&#${c.codePointAt(0)};`;
  });
}

/**
 * The body of a complete-multipart-upload request, parts in the order given. No XML declaration and no
 * namespace, as google-resumable-media sends it; an empty list gives `<CompleteMultipartUpload />`.
 */
export function buildCompleteMultipartUpload(parts: readonly { partNumber: number; etag: string }[]): string {
  if (parts.length === 0) return '<CompleteMultipartUpload />';
  const body = parts
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXmlText(p.etag)}</ETag></Part>`)
    .join('');
  return `<CompleteMultipartUpload>${body}</CompleteMultipartUpload>`;
}

function expectRoot(root: XmlElement, name: string, response?: ResponseContext): void {
  if (root.name !== name) {
    throw new InvalidResponse(`Expected an XML <${name}> document, got <${root.name}>`, response ? { response } : {});
  }
}

/**
 * The upload id in an `InitiateMultipartUploadResult`. Python looks `UploadId` up in the S3 namespace only; we
 * accept it in any namespace (or none), which GCS-compatible servers differ on, but require it to be non-empty.
 */
export function parseInitiateMultipartUploadResult(source: string, options: ParseXmlOptions = {}): string {
  const root = parseXml(source, options);
  expectRoot(root, 'InitiateMultipartUploadResult', options.response);
  const uploadId = childText(root, 'UploadId');
  if (!uploadId) {
    throw new InvalidResponse(
      'The InitiateMultipartUploadResult has no UploadId',
      options.response ? { response: options.response } : {},
    );
  }
  return uploadId;
}

/** A part as ListParts reports it. */
export interface ListedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/** One page of a `ListPartsResult`. */
export interface ListPartsPage {
  parts: ListedPart[];
  /** Present when `IsTruncated` is true: the `part-number-marker` of the next page. */
  nextPartNumberMarker?: number;
}

function nonNegativeInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** Parses one page of a `ListPartsResult`, validating every number it relies on. */
export function parseListPartsResult(source: string, options: ParseXmlOptions = {}): ListPartsPage {
  const root = parseXml(source, options);
  expectRoot(root, 'ListPartsResult', options.response);
  const bad = (why: string): never => {
    throw new InvalidResponse(`The ListPartsResult is malformed: ${why}`, options.response ? { response: options.response } : {});
  };
  const parts = root.children
    .filter((child) => child.name === 'Part')
    .map((part): ListedPart => {
      const partNumber = nonNegativeInteger(childText(part, 'PartNumber'));
      const size = nonNegativeInteger(childText(part, 'Size'));
      const etag = childText(part, 'ETag');
      if (partNumber === undefined || partNumber < 1 || partNumber > 10_000) {
        return bad(`a part number of "${childText(part, 'PartNumber')}"`);
      }
      if (size === undefined) return bad(`part ${partNumber} has a size of "${childText(part, 'Size')}"`);
      if (!etag) return bad(`part ${partNumber} has no ETag`);
      return { partNumber, etag, size };
    });
  const page: ListPartsPage = { parts };
  if (childText(root, 'IsTruncated')?.toLowerCase() === 'true') {
    const marker = nonNegativeInteger(childText(root, 'NextPartNumberMarker'));
    if (marker === undefined) bad('it is truncated but has no numeric NextPartNumberMarker');
    page.nextPartNumberMarker = marker;
  }
  return page;
}

/** The fields GCS puts in an XML `<Error>` body. */
export interface XmlErrorBody {
  code?: string;
  message?: string;
  details?: string;
}

/**
 * The `Code`, `Message` and `Details` of an XML `<Error>` document, or undefined when `source` is not one
 * (never throws: it only enriches error reports).
 */
export function parseXmlError(source: string, options: Pick<ParseXmlOptions, 'maxLength'> = {}): XmlErrorBody | undefined {
  let root: XmlElement;
  try {
    root = parseXml(source, options);
  } catch {
    return undefined;
  }
  if (root.name !== 'Error') return undefined;
  const out: XmlErrorBody = {};
  const code = childText(root, 'Code');
  const message = childText(root, 'Message');
  const details = childText(root, 'Details');
  if (code) out.code = code;
  if (message) out.message = message;
  if (details) out.details = details;
  return out;
}
