/**
 * The byte-exact encodings uploads send and the XML they read: Python-compatible JSON metadata, the multipart
 * body and boundary, the CompleteMultipartUpload document and the hardened XML parser (DTDs, entities,
 * size, depth, truncation).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, InvalidResponse } from '../../src/errors.js';
import { toPythonJson } from '../../src/media/json-metadata.js';
import { buildMultipartBody, generateBoundary, multipartContentType } from '../../src/media/multipart-body.js';
import {
  buildCompleteMultipartUpload,
  escapeXmlText,
  parseInitiateMultipartUploadResult,
  parseListPartsResult,
  parseXml,
} from '../../src/util/xml.js';

const JSON_TYPE_LINE = 'content-type: application/json; charset=UTF-8\r\n';

describe('toPythonJson (json.dumps defaults)', () => {
  it('uses ", " and ": " separators and keeps insertion order', () => {
    assert.equal(toPythonJson({ name: 'hi-file.bin' }), '{"name": "hi-file.bin"}');
    assert.equal(
      toPythonJson({ b: 1, a: [true, false, null], c: { d: 'e' } }),
      '{"b": 1, "a": [true, false, null], "c": {"d": "e"}}',
    );
    assert.equal(toPythonJson({}), '{}');
    assert.equal(toPythonJson({ list: [] }), '{"list": []}');
  });

  it('escapes every character outside printable ASCII as lower-case \\uXXXX, astral ones as surrogate pairs', () => {
    assert.equal(toPythonJson({ name: 'snowman \u2603.bin' }), '{"name": "snowman \\u2603.bin"}');
    assert.equal(toPythonJson({ n: 'é' }), '{"n": "\\u00e9"}');
    assert.equal(toPythonJson({ n: '😀' }), '{"n": "\\ud83d\\ude00"}');
    assert.equal(toPythonJson({ n: '\u0000\u001f\u007f' }), '{"n": "\\u0000\\u001f\\u007f"}');
    assert.equal(toPythonJson({ n: 'a"b\\c\n\r\t\b\f/' }), '{"n": "a\\"b\\\\c\\n\\r\\t\\b\\f/"}');
    assert.equal(toPythonJson({ 'ké': 1 }), '{"k\\u00e9": 1}');
  });

  it('prints numbers as Python does', () => {
    assert.equal(toPythonJson({ n: 1 }), '{"n": 1}');
    assert.equal(toPythonJson({ n: -0 }), '{"n": 0}');
    assert.equal(toPythonJson({ n: 1.5 }), '{"n": 1.5}');
    assert.equal(toPythonJson({ n: 1e-7 }), '{"n": 1e-07}');
    assert.equal(toPythonJson({ n: 0.00001 }), '{"n": 1e-05}');
    assert.equal(toPythonJson({ n: 0.001 }), '{"n": 0.001}');
    assert.equal(toPythonJson({ n: 1.5e-10 }), '{"n": 1.5e-10}');
    assert.equal(toPythonJson({ n: 1e21 }), '{"n": 1000000000000000000000}');
  });

  it('leaves out undefined properties and writes undefined array items as null', () => {
    assert.equal(toPythonJson({ a: undefined, b: 'x', c: [undefined as never] }), '{"b": "x", "c": [null]}');
  });

  it('refuses values JSON cannot carry, naming their path', () => {
    assert.throws(() => toPythonJson({ n: Number.NaN }), (e: unknown) => e instanceof InvalidArgumentError && /metadata\.n/.test(e.message));
    assert.throws(() => toPythonJson({ d: new Date() as never }), /plain object, got an instance of Date/);
    assert.throws(() => toPythonJson({ f: (() => 1) as never }), /metadata\.f.*function/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => toPythonJson(cyclic as never), /acyclic/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { k: 'v' };
    assert.equal(toPythonJson({ a: shared, b: shared }), '{"a": {"k": "v"}, "b": {"k": "v"}}');
  });
});

describe('multipart body', () => {
  it('test_get_boundary: 15 "=", the random number zero-padded to 19 digits, "=="', () => {
    assert.equal(generateBoundary(() => 1234567890123456789n), '===============1234567890123456789==');
    assert.equal(generateBoundary(() => 42n), '===============0000000000000000042==');
    const random = generateBoundary();
    assert.match(random, /^={15}\d{19}==$/);
    assert.ok(BigInt(random.slice(15, 34)) < (1n << 63n) - 1n);
    assert.notEqual(generateBoundary(), generateBoundary());
  });

  it('test_binary: exact framing, no trailing CRLF', () => {
    const data = Buffer.from('By nary day tuh');
    const body = buildMultipartBody('==1==', '{"name": "hi-file.bin"}', data, 'application/octet-stream');
    const expected = Buffer.concat([
      Buffer.from(`--==1==\r\n${JSON_TYPE_LINE}\r\n{"name": "hi-file.bin"}\r\n--==1==\r\ncontent-type: application/octet-stream\r\n\r\n`),
      data,
      Buffer.from('\r\n--==1==--'),
    ]);
    assert.deepEqual(body, expected);
  });

  it('test_unicode: the data part carries raw UTF-8 bytes', () => {
    const data = Buffer.from('\u2603', 'utf8');
    const body = buildMultipartBody('==2==', toPythonJson({ name: 'snowman.bin' }), data, 'text/plain');
    assert.deepEqual(
      body,
      Buffer.from(`--==2==\r\n${JSON_TYPE_LINE}\r\n{"name": "snowman.bin"}\r\n--==2==\r\ncontent-type: text/plain\r\n\r\n\u2603\r\n--==2==--`, 'utf8'),
    );
  });

  it('quotes the boundary in the content type', () => {
    assert.equal(multipartContentType('==3=='), 'multipart/related; boundary="==3=="');
  });
});

describe('CompleteMultipartUpload document', () => {
  it('lists the parts in the order given, without declaration or namespace', () => {
    assert.equal(
      buildCompleteMultipartUpload([
        { partNumber: 1, etag: 'etag1' },
        { partNumber: 2, etag: 'etag2' },
      ]),
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>etag1</ETag></Part>' +
        '<Part><PartNumber>2</PartNumber><ETag>etag2</ETag></Part></CompleteMultipartUpload>',
    );
    assert.equal(buildCompleteMultipartUpload([]), '<CompleteMultipartUpload />');
  });

  it('escapes &, < and > but not quotes, and writes non-ASCII as decimal references', () => {
    assert.equal(escapeXmlText('"a&b<c>d"'), '"a&amp;b&lt;c&gt;d"');
    assert.equal(escapeXmlText('é😀'), '&#233;&#128512;');
    assert.match(buildCompleteMultipartUpload([{ partNumber: 3, etag: '"x&y"' }]), /<ETag>"x&amp;y"<\/ETag>/);
  });

  it('round-trips through the parser', () => {
    const etag = '"weird & <tag> é"';
    const root = parseXml(buildCompleteMultipartUpload([{ partNumber: 7, etag }]));
    assert.equal(root.children[0]?.children[1]?.text, etag);
  });
});

describe('XML parser', () => {
  const initiate =
    '<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\n' +
    '  <Bucket>travel-maps</Bucket><Key>paris.jpg</Key><UploadId>VXBsb2FkIElE</UploadId>\n</InitiateMultipartUploadResult>';

  it('reads the upload id of an InitiateMultipartUploadResult (namespaced or not)', () => {
    assert.equal(parseInitiateMultipartUploadResult(initiate), 'VXBsb2FkIElE');
    assert.equal(parseInitiateMultipartUploadResult('<InitiateMultipartUploadResult><UploadId> id-2 </UploadId></InitiateMultipartUploadResult>'), 'id-2');
    assert.equal(
      parseInitiateMultipartUploadResult('<s3:InitiateMultipartUploadResult xmlns:s3="x"><s3:UploadId>p</s3:UploadId></s3:InitiateMultipartUploadResult>'),
      'p',
    );
  });

  it('refuses an initiate answer without UploadId or of another kind', () => {
    assert.throws(() => parseInitiateMultipartUploadResult('<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>'), InvalidResponse);
    assert.throws(() => parseInitiateMultipartUploadResult('<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>'), /no UploadId/);
    assert.throws(() => parseInitiateMultipartUploadResult('<Error><Code>AccessDenied</Code></Error>'), /Expected an XML <InitiateMultipartUploadResult> document, got <Error>/);
  });

  it('decodes the predefined entities, character references, CDATA, and skips comments', () => {
    const root = parseXml("\uFEFF<?xml version='1.0'?><!-- c --><a>x &amp; &lt;&gt;&quot;&apos; &#233;&#xE9;<![CDATA[<raw&>]]><!-- in --><b/></a>");
    assert.equal(root.text, `x & <>"' éé<raw&>`);
    assert.equal(root.children[0]?.name, 'b');
  });

  it('refuses DTDs and entity definitions (no entity expansion, no external fetch)', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>';
    assert.throws(() => parseXml(laughs), /DTDs, entity definitions/);
    assert.throws(() => parseXml('<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>'), /DTDs/);
    assert.throws(() => parseXml('<a><!ENTITY x "y"></a>'), /DTDs/);
    assert.throws(() => parseXml('<a>&xxe;</a>'), /unknown entity/);
    assert.throws(() => parseXml('<a>&#0;</a>'), /unknown entity/);
    assert.throws(() => parseXml('<a>&#xD800;</a>'), /unknown entity/);
    assert.throws(() => parseXml('<a>a & b</a>'), /bare "&"/);
  });

  it('bounds size, depth and element count', () => {
    assert.throws(() => parseXml(`<a>${'x'.repeat(100)}</a>`, { maxLength: 50 }), /more than the 50 allowed/);
    assert.throws(() => parseXml(`${'<a>'.repeat(17)}${'</a>'.repeat(17)}`), /nested deeper than 16/);
    assert.doesNotThrow(() => parseXml(`${'<a>'.repeat(16)}${'</a>'.repeat(16)}`));
    assert.throws(() => parseXml(`<r>${'<p/>'.repeat(20_001)}</r>`), /more than 20000 elements/);
  });

  it('refuses malformed and truncated documents', () => {
    assert.throws(() => parseXml('<a><b></a></b>'), /unexpected end tag/);
    assert.throws(() => parseXml('<a><b>'), /truncated/);
    assert.throws(() => parseXml('<a/><b/>'), /content after the root/);
    assert.throws(() => parseXml('junk<a/>'), /text outside the root/);
    assert.throws(() => parseXml('<a>< b</a>'), /starts no valid tag/);
    assert.throws(() => parseXml(''), /no root element/);
    assert.throws(() => parseXml('<1a/>'), /starts no valid tag|invalid element name/);
  });

  it('attaches the response to the error it throws', () => {
    const response = { status: 200, headers: { 'content-type': 'application/xml' } };
    try {
      parseXml('<!DOCTYPE x><x/>', { response });
      assert.fail('expected a throw');
    } catch (error) {
      assert.ok(error instanceof InvalidResponse);
      assert.equal(error.status, 200);
    }
  });
});

describe('ListPartsResult', () => {
  const page = (parts: string, tail: string): string =>
    `<?xml version="1.0"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket>${parts}${tail}</ListPartsResult>`;
  const part = (n: number, size: number): string =>
    `<Part><PartNumber>${n}</PartNumber><LastModified>2024-01-01T00:00:00Z</LastModified><ETag>"e${n}"</ETag><Size>${size}</Size></Part>`;

  it('reads parts and the next marker of a truncated page', () => {
    const result = parseListPartsResult(page(part(1, 10) + part(2, 5), '<IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>'));
    assert.deepEqual(result, {
      parts: [
        { partNumber: 1, etag: '"e1"', size: 10 },
        { partNumber: 2, etag: '"e2"', size: 5 },
      ],
      nextPartNumberMarker: 2,
    });
    assert.deepEqual(parseListPartsResult(page('', '<IsTruncated>false</IsTruncated>')), { parts: [] });
  });

  it('refuses parts it cannot trust', () => {
    assert.throws(() => parseListPartsResult(page(part(0, 1), '')), /part number of "0"/);
    assert.throws(() => parseListPartsResult(page(part(10_001, 1), '')), /part number of "10001"/);
    assert.throws(() => parseListPartsResult(page('<Part><PartNumber>1</PartNumber><Size>1</Size></Part>', '')), /no ETag/);
    assert.throws(() => parseListPartsResult(page('<Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>-1</Size></Part>', '')), /size of "-1"/);
    assert.throws(() => parseListPartsResult(page('', '<IsTruncated>true</IsTruncated>')), /NextPartNumberMarker/);
  });
});
