import { describe, expect, it } from 'vitest';
import { formatSettings, formatStrongswanConf, formatSwanctlConf } from './swanctl-conf.js';

describe('formatSettings', () => {
  it('writes sections, yes/no, numbers, quoted values and comma lists, leaving out undefined', () => {
    const text = formatSettings({
      top: { flag: true, off: false, n: 3, list: ['a', 'b'], spaced: 'x y', skip: undefined, inner: {} },
      quoted: 'say "hi" \\o/',
      empty: '',
    });
    expect(text).toBe(
      [
        'top {',
        '  flag = yes',
        '  off = no',
        '  n = 3',
        '  list = "a, b"',
        '  spaced = "x y"',
        '  inner {',
        '  }',
        '}',
        'quoted = "say \\"hi\\" \\\\o/"',
        'empty = ""',
        '',
      ].join('\n'),
    );
  });

  it('refuses names and values that would change the file structure', () => {
    expect(() => formatSettings({ 'a b': 'x' })).toThrow(RangeError);
    expect(() => formatSettings({ 'a{': 'x' })).toThrow(RangeError);
    expect(() => formatSettings({ a: 'x\ny = z' })).toThrow(/newline/);
  });
});

describe('formatSwanctlConf', () => {
  it('maps a connection with PSK secrets to swanctl.conf sections', () => {
    const text = formatSwanctlConf({
      connections: {
        c1: {
          localAddrs: ['192.0.2.1'],
          remoteAddrs: ['192.0.2.2'],
          proposals: ['aes256gcm16-prfsha256-modp2048', 'aes128-sha256-modp3072'],
          mobike: false,
          rekeyTime: '1h',
          local: { auth: 'psk', id: 'a@test' },
          remote: { auth: 'pubkey', id: 'b.test', cacerts: ['ca.pem'] },
          children: {
            t: {
              localTs: ['10.1.0.0/24'],
              remoteTs: ['10.2.0.0/24'],
              espProposals: ['aes128gcm16'],
              rekeyTime: 60,
            },
          },
        },
      },
      psks: [{ ids: ['a@test', 'b@test'], secret: 'top secret' }],
    });
    expect(text).toContain('  c1 {\n    version = 2\n    local_addrs = 192.0.2.1\n');
    expect(text).toContain('    proposals = "aes256gcm16-prfsha256-modp2048, aes128-sha256-modp3072"\n');
    expect(text).toContain('    mobike = no\n    rekey_time = 1h\n');
    expect(text).toContain(
      '    remote {\n      auth = pubkey\n      id = b.test\n      cacerts = ca.pem\n    }\n',
    );
    expect(text).toContain(
      '      t {\n        local_ts = 10.1.0.0/24\n        remote_ts = 10.2.0.0/24\n        esp_proposals = aes128gcm16\n        mode = tunnel\n        rekey_time = 60\n      }\n',
    );
    expect(text).toContain(
      'secrets {\n  ike-1 {\n    id-1 = a@test\n    id-2 = b@test\n    secret = "top secret"\n  }\n}\n',
    );
    expect(text).not.toContain('encap');
  });
});

describe('formatStrongswanConf', () => {
  it('loads kernel-libipsec, points vici and the log at the instance directory, and keeps syslog quiet', () => {
    const text = formatStrongswanConf({
      viciSocket: '/tmp/x/charon.vici',
      logPath: '/tmp/x/charon.log',
      logLevels: { enc: 3 },
      charon: { port: 1500 },
    });
    expect(text).toMatch(
      /^charon \{\n {2}load = "random nonce openssl .*kernel-libipsec kernel-netlink socket-default vici"\n/,
    );
    expect(text).toContain('  port = 1500\n');
    expect(text).toContain('vici {\n      socket = unix:///tmp/x/charon.vici\n');
    expect(text).toMatch(
      /path = \/tmp\/x\/charon.log\n(.*\n)*\s+default = 1\n\s+ike = 2\n\s+cfg = 2\n\s+knl = 2\n\s+enc = 3\n/,
    );
    expect(text).toContain('daemon {\n      default = -1\n');
    expect(text).toContain(
      'swanctl {\n  load = "pem pkcs1 pkcs8 x509 openssl"\n  socket = unix:///tmp/x/charon.vici\n}\n',
    );
  });
});
