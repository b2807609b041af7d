import { describe, expect, it } from 'vitest';
import { Pad } from './pad.js';

describe('PAD (RFC 4301 4.4.3, RFC 4877 home addresses)', () => {
  it('binds identities to the home addresses and peer addresses they may use, first match by pattern', () => {
    const pad = new Pad();
    pad.add({
      identity: 'mn1@example.com',
      homeAddresses: ['2001:DB8:AAAA::100'],
      peerAddresses: ['2001:db8:cccc::/48'],
      auth: 'psk',
    });
    pad.add({ identity: '*@example.com', homeAddresses: [] });
    expect(pad.authorizeHomeAddress('mn1@example.com', '2001:db8:aaaa::100')).toBe(true);
    expect(pad.authorizeHomeAddress('mn1@example.com', '2001:db8:aaaa::101')).toBe(false);
    expect(pad.authorizeHomeAddress('mn2@example.com', '2001:db8:aaaa::100')).toBe(false);
    expect(pad.authorizeHomeAddress('nobody@elsewhere', '2001:db8:aaaa::100')).toBe(false);
    expect(pad.identityForHomeAddress('2001:db8:aaaa::100')).toBe('mn1@example.com');
    expect(pad.mayConnectFrom('mn1@example.com', '2001:db8:cccc::5')).toBe(true);
    expect(pad.mayConnectFrom('mn1@example.com', '2001:db8:dddd::5')).toBe(false);
    expect(pad.mayConnectFrom('mn9@example.com', '2001:db8:dddd::5')).toBe(true);
    expect(pad.lookup('x.y@example.com')?.identity).toBe('*@example.com');
    expect(() => pad.add({ identity: 'mn1@example.com' })).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    pad.remove('mn1@example.com');
    expect(() => pad.remove('mn1@example.com')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(pad.entries().length).toBe(1);
  });
});
