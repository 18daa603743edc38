// CERTPORT_CAA and CERTPORT_CAA_IDENTITIES: the identities certport answers to in CAA records,
// and the one way to turn the check off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

const base = { CERTPORT_DATA_DIR: '/tmp/certport-config-caa' };

test('by default CAA is checked for certport.local and the public URL\'s host when it is a DNS name', () => {
  assert.deepEqual([loadConfig(base).caa, loadConfig(base).caaIdentities], [true, ['certport.local']], 'the default URL\'s host is an IP address');
  assert.deepEqual(loadConfig({ ...base, CERTPORT_PUBLIC_URL: 'https://Certs.Example.net:8443/x' }).caaIdentities, ['certport.local', 'certs.example.net']);
  assert.deepEqual(loadConfig({ ...base, CERTPORT_PUBLIC_URL: 'http://[::1]:8080' }).caaIdentities, ['certport.local']);
});

test('CERTPORT_CAA_IDENTITIES lists issuer domain names; an empty value is the default, never "off"', () => {
  assert.deepEqual(loadConfig({ ...base, CERTPORT_CAA_IDENTITIES: ' CA.Example.net, ca.example.net ,pki.example.org' }).caaIdentities, ['ca.example.net', 'pki.example.org']);
  assert.deepEqual(loadConfig({ ...base, CERTPORT_CAA_IDENTITIES: '' }).caaIdentities, ['certport.local']);
  assert.throws(() => loadConfig({ ...base, CERTPORT_CAA_IDENTITIES: ' , ' }), (e: Error) => e instanceof ConfigError && /at least one issuer domain name.*CERTPORT_CAA=0/.test(e.message));
  assert.throws(() => loadConfig({ ...base, CERTPORT_CAA_IDENTITIES: 'ca.example.net,https://x' }), /CERTPORT_CAA_IDENTITIES must list issuer domain names/);
});

test('CERTPORT_CAA=0 turns the check off, and then takes no identities', () => {
  const off = loadConfig({ ...base, CERTPORT_CAA: '0' });
  assert.deepEqual([off.caa, off.caaIdentities], [false, []]);
  assert.throws(() => loadConfig({ ...base, CERTPORT_CAA: '0', CERTPORT_CAA_IDENTITIES: 'ca.example.net' }), /CERTPORT_CAA_IDENTITIES needs CERTPORT_CAA=1/);
  assert.throws(() => loadConfig({ ...base, CERTPORT_CAA: 'maybe' }), /CERTPORT_CAA must be 1 or 0/);
});
