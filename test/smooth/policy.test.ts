import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { clientAccessPolicyXml, crossDomainXml } from '../../src/smooth/index.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

test('clientaccesspolicy.xml allows every domain and header for the whole site', () => {
  const xml = clientAccessPolicyXml();
  assert.equal(XMLValidator.validate(xml), true);
  const policy = parser.parse(xml)['access-policy']['cross-domain-access'].policy;
  assert.equal(policy['allow-from']['http-request-headers'], '*');
  assert.ok(policy['allow-from'].domain.some((d: { uri: string }) => d.uri === '*'));
  assert.deepEqual(policy['grant-to'].resource, { path: '/', 'include-subpaths': 'true' });
});

test('crossdomain.xml allows every domain', () => {
  const xml = crossDomainXml();
  assert.equal(XMLValidator.validate(xml), true);
  const policy = parser.parse(xml)['cross-domain-policy'];
  assert.deepEqual(policy['allow-access-from'], { domain: '*', secure: 'false' });
  assert.equal(policy['allow-http-request-headers-from'].headers, '*');
});
