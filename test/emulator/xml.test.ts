import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseXml, XmlSyntaxError, xmlDocument, S3_NAMESPACE } from '../../src/emulator/xml.js';

test('documents are built with a declaration, a namespace and escaped text', () => {
  assert.equal(
    xmlDocument('Root', [{ name: 'A', text: `<"x" & 'y'>` }, { name: 'B', children: [{ name: 'C', text: 'é' }] }], S3_NAMESPACE),
    `<?xml version='1.0' encoding='UTF-8'?><Root xmlns="${S3_NAMESPACE}"><A>&lt;&quot;x&quot; &amp; &apos;y&apos;&gt;</A><B><C>é</C></B></Root>`,
  );
});

test('the parser reads what clients send: prefixes, attributes, comments, CDATA, references, self-closing tags', () => {
  const root = parseXml(`<?xml version="1.0"?>
<!-- lead --><p:Root xmlns:p="urn:x" a='1'>
  <p:Item>&quot;etag&quot; &#233;&#xE9; &lt;&amp;&gt;</p:Item><Empty/><![CDATA[<raw>]]>
</p:Root>
`);
  assert.equal(root.name, 'Root');
  assert.deepEqual(root.children.map((c) => c.name), ['Item', 'Empty']);
  assert.equal(root.children[0]?.text, '"etag" éé <&>');
  assert.match(root.text, /<raw>/);
  // Round trip through the builder.
  const built = parseXml(xmlDocument('R', [{ name: 'T', text: `a<b>&"c"'` }]));
  assert.equal(built.children[0]?.text, `a<b>&"c"'`);
});

test('the parser refuses DTDs, entities and malformed documents', () => {
  const bad = [
    '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>',
    '<r>&e;</r>',
    '<r>a & b</r>',
    '<r>&#xZZ;</r>',
    '<r><!ENTITY e "x"></r>',
    '<a></b>',
    '<a>',
    '<a/><b/>',
    'text',
    '',
    '<a><?pi x?></a>',
    `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`,
    '<a><!-- open</a>',
  ];
  for (const text of bad) assert.throws(() => parseXml(text), XmlSyntaxError, text);
});
