/**
 * Cross-domain policy files for `--policy`: Silverlight fetches
 * `/clientaccesspolicy.xml` (then `/crossdomain.xml`), Flash `/crossdomain.xml`,
 * from the host root before any cross-site request. Both allow every domain.
 */
export function clientAccessPolicyXml(): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<access-policy>
  <cross-domain-access>
    <policy>
      <allow-from http-request-headers="*">
        <domain uri="*"/>
        <domain uri="http://*"/>
        <domain uri="https://*"/>
      </allow-from>
      <grant-to>
        <resource path="/" include-subpaths="true"/>
      </grant-to>
    </policy>
  </cross-domain-access>
</access-policy>
`;
}

export function crossDomainXml(): string {
  return `<?xml version="1.0"?>
<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd">
<cross-domain-policy>
  <site-control permitted-cross-domain-policies="master-only"/>
  <allow-access-from domain="*" secure="false"/>
  <allow-http-request-headers-from domain="*" headers="*" secure="false"/>
</cross-domain-policy>
`;
}
