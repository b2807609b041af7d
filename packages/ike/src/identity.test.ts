import { describe, expect, it } from 'vitest';
import { toHex } from './bytes.js';
import { ID_TYPE } from './constants.js';
import { formatIdentity, identityMatches, parseIdentity } from './identity.js';

describe('identities', () => {
  it.each([
    ['10.80.80.13', ID_TYPE.ID_IPV4_ADDR, '0a50500d', '10.80.80.13'],
    ['2001:DB8::1', ID_TYPE.ID_IPV6_ADDR, '20010db8000000000000000000000001', '2001:db8::1'],
    [
      '@vpn.example.org',
      ID_TYPE.ID_FQDN,
      toHex(new TextEncoder().encode('vpn.example.org')),
      'vpn.example.org',
    ],
    [
      'vpn.example.org',
      ID_TYPE.ID_FQDN,
      toHex(new TextEncoder().encode('vpn.example.org')),
      'vpn.example.org',
    ],
    [
      'mn1@example.org',
      ID_TYPE.ID_RFC822_ADDR,
      toHex(new TextEncoder().encode('mn1@example.org')),
      'mn1@example.org',
    ],
    ['@#0102ff', ID_TYPE.ID_KEY_ID, '0102ff', 'keyid:0102ff'],
    ['keyid:0102ff', ID_TYPE.ID_KEY_ID, '0102ff', 'keyid:0102ff'],
    ['fqdn:10.0.0.1', ID_TYPE.ID_FQDN, toHex(new TextEncoder().encode('10.0.0.1')), '10.0.0.1'],
    ['email:user', ID_TYPE.ID_RFC822_ADDR, toHex(new TextEncoder().encode('user')), 'user'],
  ])('%s is type %i', (text, type, hex, formatted) => {
    const id = parseIdentity(text);
    expect(id.idType).toBe(type);
    expect(toHex(id.data)).toBe(hex);
    expect(formatIdentity(id)).toBe(formatted);
  });

  it('refuses empty and malformed identities', () => {
    for (const bad of ['', '@', '@#zz', 'ipv4:2001:db8::1', 'ipv6:10.0.0.1', 'keyid:xyz']) {
      expect(() => parseIdentity(bad), bad).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
  });

  it('matches %any and exact identities only', () => {
    const id = parseIdentity('mn1@example.org');
    expect(identityMatches('%any', id)).toBe(true);
    expect(identityMatches(undefined, id)).toBe(true);
    expect(identityMatches('mn1@example.org', id)).toBe(true);
    expect(identityMatches('fqdn:mn1@example.org', id)).toBe(false);
    expect(identityMatches('mn2@example.org', id)).toBe(false);
    expect(formatIdentity({ idType: 99, data: Uint8Array.of(1) })).toBe('id99:01');
  });
});
