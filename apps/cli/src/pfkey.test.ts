/**
 * `mip6sec pfkey decode|encode` run as a subprocess on messages built in C with the real Linux structs:
 * the decoded JSON carries the values the C program set, and `decode | encode` in a shell pipe gives the
 * same bytes back. Bad bytes and bad hex end in one `error: CODE at byte N: reason` line and status 1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CMessages, cMessage, compileMessages } from './c-messages.test-util.js';
import { cli, expectInputError, shell } from './cli.test-util.js';

let c: CMessages;
beforeAll(() => {
  c = compileMessages();
});

/** The messages the tests below check value by value (and round-trip in both input forms). */
const CHECKED = [
  'MIGRATE_V6',
  'MIGRATE_V4',
  'SPDADD_TUNNEL',
  'ADD_KEYS',
  'ACQUIRE_PROPOSAL',
  'REGISTER_REPLY',
];

type Json = Record<string, unknown> & { extensions: Record<string, unknown>[] };

function decoded(hex: string): Json {
  const r = cli(['pfkey', 'decode', hex]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

function ext(msg: Json, type: string): Record<string, unknown> {
  const e = msg.extensions.find((x) => x.type === type);
  if (!e) throw new Error(`no ${type} in ${JSON.stringify(msg)}`);
  return e;
}

/** `decode | encode` through a real pipe, once with the hex as an argument and once on stdin. */
function expectPipeRoundTrip(hex: string): void {
  const arg = shell('mip6sec pfkey decode "$HEX" | mip6sec pfkey encode', { HEX: hex });
  expect(arg.stderr).toBe('');
  expect(arg.status).toBe(0);
  expect(arg.stdout).toBe(`${hex}\n`);
  const stdin = shell('printf %s "$HEX" | mip6sec pfkey decode --compact | mip6sec pfkey encode -', {
    HEX: hex,
  });
  expect(stdin.stdout).toBe(`${hex}\n`);
  expect(stdin.status).toBe(0);
}

describe('messages built in C with <linux/pfkeyv2.h>, through the CLI', () => {
  it('MIGRATE over IPv6 with KMADDRESS', (ctx) => {
    const hex = cMessage(c, 'MIGRATE_V6', ctx.skip);
    const msg = decoded(hex);
    expect(msg).toMatchObject({ type: 'X_MIGRATE', satype: 'ESP', errno: 0, seq: 0, pid: 0 });
    expect(msg.extensions.map((e) => e.type)).toEqual([
      'X_KMADDRESS',
      'ADDRESS_SRC',
      'ADDRESS_DST',
      'X_POLICY',
    ]);
    expect(ext(msg, 'X_KMADDRESS')).toEqual({
      type: 'X_KMADDRESS',
      local: '2001:db8:dddd::1',
      remote: '2001:db8:aaaa::1',
    });
    expect(ext(msg, 'ADDRESS_SRC')).toMatchObject({
      address: '2001:db8:aaaa::100',
      prefixlen: 128,
      proto: 255,
    });
    expect(ext(msg, 'ADDRESS_DST')).toMatchObject({ address: '::', prefixlen: 0 });
    const policy = ext(msg, 'X_POLICY');
    expect(policy).toMatchObject({ policyType: 'IPSEC', dir: 'OUTBOUND' });
    expect(policy.requests).toEqual([
      {
        proto: 50,
        mode: 'TUNNEL',
        level: 'UNIQUE',
        reqid: 0x7e57,
        src: '2001:db8:cccc::1',
        dst: '2001:db8:aaaa::1',
      },
      {
        proto: 50,
        mode: 'TUNNEL',
        level: 'UNIQUE',
        reqid: 0x7e57,
        src: '2001:db8:dddd::1',
        dst: '2001:db8:aaaa::1',
      },
      {
        proto: 50,
        mode: 'TRANSPORT',
        level: 'UNIQUE',
        reqid: 0x1234,
        src: '2001:db8:cccc::1',
        dst: '2001:db8:aaaa::1',
      },
      {
        proto: 50,
        mode: 'TRANSPORT',
        level: 'UNIQUE',
        reqid: 0x1234,
        src: '2001:db8:dddd::1',
        dst: '2001:db8:aaaa::1',
      },
    ]);
    expectPipeRoundTrip(hex);
  });

  it('MIGRATE over IPv4 with KMADDRESS and a UDP selector port', (ctx) => {
    const hex = cMessage(c, 'MIGRATE_V4', ctx.skip);
    const msg = decoded(hex);
    expect(msg).toMatchObject({ type: 'X_MIGRATE', seq: 17, pid: 4242 });
    expect(ext(msg, 'X_KMADDRESS')).toMatchObject({ local: '192.0.2.77', remote: '198.51.100.1' });
    expect(ext(msg, 'ADDRESS_SRC')).toMatchObject({ address: '10.1.0.0', prefixlen: 16, proto: 17 });
    expect(ext(msg, 'ADDRESS_DST')).toMatchObject({
      address: '10.2.0.5',
      prefixlen: 32,
      port: 500,
      proto: 17,
    });
    const policy = ext(msg, 'X_POLICY');
    expect(policy.dir).toBe('INBOUND');
    expect(policy.requests).toEqual([
      { proto: 50, mode: 'TUNNEL', level: 'UNIQUE', reqid: 42, src: '198.51.100.1', dst: '192.0.2.10' },
      { proto: 50, mode: 'TUNNEL', level: 'UNIQUE', reqid: 42, src: '198.51.100.1', dst: '192.0.2.77' },
    ]);
    expectPipeRoundTrip(hex);
  });

  it('SPDADD with tunnel ipsecrequests of both families and a transport one', (ctx) => {
    const hex = cMessage(c, 'SPDADD_TUNNEL', ctx.skip);
    const msg = decoded(hex);
    expect(msg).toMatchObject({ type: 'X_SPDADD', satype: 'UNSPEC', seq: 5, pid: 999 });
    expect(ext(msg, 'ADDRESS_SRC')).toMatchObject({ address: '2001:db8:1::', prefixlen: 64 });
    expect(ext(msg, 'LIFETIME_HARD')).toMatchObject({ addtime: '86400' });
    expect(ext(msg, 'LIFETIME_SOFT')).toMatchObject({ addtime: '72000' });
    const policy = ext(msg, 'X_POLICY');
    expect(policy).toMatchObject({ dir: 'OUTBOUND', priority: 100 });
    expect(policy.requests).toEqual([
      { proto: 50, mode: 'TUNNEL', level: 'UNIQUE', reqid: 7, src: '2001:db8:1::1', dst: '2001:db8:2::1' },
      { proto: 108, mode: 'TUNNEL', level: 'REQUIRE', reqid: 0, src: '192.0.2.1', dst: '192.0.2.2' },
      { proto: 51, mode: 'TRANSPORT', level: 'REQUIRE', reqid: 0 },
    ]);
    expectPipeRoundTrip(hex);
  });

  it('ADD with keys, lifetimes, SA2 and NAT-T', (ctx) => {
    const hex = cMessage(c, 'ADD_KEYS', ctx.skip);
    const msg = decoded(hex);
    expect(msg).toMatchObject({ type: 'ADD', satype: 'ESP', seq: 42, pid: 1234 });
    expect(ext(msg, 'SA')).toEqual({
      type: 'SA',
      spi: '0xc0ffee01',
      replay: 32,
      state: 'MATURE',
      auth: 'SHA1HMAC',
      encrypt: 'X_AESCBC',
      flags: 0x80000000,
    });
    // 64-bit counters come out as decimal strings.
    expect(ext(msg, 'LIFETIME_HARD')).toMatchObject({
      allocations: 1000000,
      bytes: '1099511627776',
      addtime: '3600',
      usetime: '1800',
    });
    expect(ext(msg, 'LIFETIME_SOFT')).toMatchObject({ allocations: 900000, bytes: '549755813888' });
    expect(ext(msg, 'KEY_AUTH')).toEqual({
      type: 'KEY_AUTH',
      bits: 160,
      key: '101112131415161718191a1b1c1d1e1f20212223',
    });
    expect(ext(msg, 'KEY_ENCRYPT')).toEqual({
      type: 'KEY_ENCRYPT',
      bits: 128,
      key: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
    });
    expect(ext(msg, 'X_SA2')).toMatchObject({ mode: 'TUNNEL', reqid: 9 });
    expect(ext(msg, 'X_NAT_T_SPORT')).toMatchObject({ port: 4500 });
    expect(ext(msg, 'X_NAT_T_DPORT')).toMatchObject({ port: 4501 });
    expect(ext(msg, 'X_NAT_T_OA')).toMatchObject({ address: '10.0.0.9' });
    expect(ext(msg, 'X_SEC_CTX')).toMatchObject({ context: 'system_u:object_r:ipsec_spd_t:s0' });
    expectPipeRoundTrip(hex);
  });

  it('the kernel ACQUIRE with a proposal', (ctx) => {
    const hex = cMessage(c, 'ACQUIRE_PROPOSAL', ctx.skip);
    const msg = decoded(hex);
    expect(msg).toMatchObject({ type: 'ACQUIRE', satype: 'ESP', seq: 7 });
    expect(ext(msg, 'X_POLICY')).toMatchObject({ id: 9, priority: 10, dir: 'OUTBOUND', requests: [] });
    const prop = ext(msg, 'PROPOSAL');
    expect(prop.replay).toBe(32);
    expect(prop.combs).toEqual([
      expect.objectContaining({
        auth: 'X_SHA2_256HMAC',
        encrypt: 'X_AESCBC',
        authMinbits: 256,
        encryptMinbits: 128,
        encryptMaxbits: 256,
        hardAddtime: '86400',
        softAddtime: '72000',
        hardUsetime: '28800',
        softUsetime: '25200',
      }),
      expect.objectContaining({ auth: 'SHA1HMAC', encrypt: '3DESCBC', encryptMinbits: 192 }),
    ]);
    expectPipeRoundTrip(hex);
  });

  it('the kernel REGISTER reply with the supported algorithms', (ctx) => {
    const hex = cMessage(c, 'REGISTER_REPLY', ctx.skip);
    const msg = decoded(hex);
    expect(msg).toMatchObject({ type: 'REGISTER', satype: 'ESP', seq: 1, pid: 4321 });
    expect(ext(msg, 'SUPPORTED_AUTH').algs).toEqual([
      { id: 'MD5HMAC', ivlen: 0, minbits: 128, maxbits: 128 },
      { id: 'SHA1HMAC', ivlen: 0, minbits: 160, maxbits: 160 },
      { id: 'X_SHA2_256HMAC', ivlen: 0, minbits: 256, maxbits: 256 },
    ]);
    expect(ext(msg, 'SUPPORTED_ENCRYPT').algs).toEqual([
      { id: '3DESCBC', ivlen: 8, minbits: 192, maxbits: 192 },
      { id: 'X_AESCBC', ivlen: 16, minbits: 128, maxbits: 256 },
    ]);
    expectPipeRoundTrip(hex);
  });

  it('every other message messages.c prints round-trips through the pipe too', (ctx) => {
    cMessage(c, 'MIGRATE_V6', ctx.skip);
    if (!c.ok) return;
    const others = [...c.hex].filter(([name]) => !CHECKED.includes(name)).map(([, hex]) => hex);
    expect(others.length).toBeGreaterThanOrEqual(7);
    // One shell for all of them: each stdin line is one message, sent through its own pipe.
    const script = 'while read -r hex; do mip6sec pfkey decode "$hex" | mip6sec pfkey encode || exit; done';
    const r = shell(script, {}, `${others.join('\n')}\n`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${others.join('\n')}\n`);
  });
});

describe('hex input forms', () => {
  it('accepts whitespace, newlines, a 0x prefix and upper case, as an argument and on stdin', (ctx) => {
    const hex = cMessage(c, 'MIGRATE_V4', ctx.skip);
    const want = decoded(hex);
    const spaced = `  0x${hex
      .toUpperCase()
      .replace(/(.{8})/g, '$1 ')
      .replace(/(.{36})/g, '$1\n\t')}\n`;
    expect(spaced).toMatch(/\n/);
    expect(JSON.parse(cli(['pfkey', 'decode', spaced]).stdout)).toEqual(want);
    expect(JSON.parse(cli(['pfkey', 'decode'], spaced).stdout)).toEqual(want);
    expect(JSON.parse(cli(['pfkey', 'decode', '-'], spaced).stdout)).toEqual(want);
    const compact = cli(['pfkey', 'decode', '--compact', hex]);
    expect(compact.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(compact.stdout)).toEqual(want);
  });

  it('encode takes the JSON as an argument as well as on stdin', (ctx) => {
    const hex = cMessage(c, 'REGISTER_REPLY', ctx.skip);
    const json = cli(['pfkey', 'decode', hex]).stdout;
    expect(cli(['pfkey', 'encode', json]).stdout).toBe(`${hex}\n`);
    expect(cli(['pfkey', 'encode'], json).stdout).toBe(`${hex}\n`);
  });
});

describe('bad input: one error line, status 1, no stack trace', () => {
  const at = (code: string, byte: number): RegExp => new RegExp(`^error: ${code} at byte ${byte}: .+$`);

  it('truncated, over-long and mis-aligned messages', (ctx) => {
    const hex = cMessage(c, 'MIGRATE_V4', ctx.skip); // 216 bytes
    expectInputError(cli(['pfkey', 'decode', hex.slice(0, -16)]), at('EMSGSIZE', 4));
    expectInputError(cli(['pfkey', 'decode'], hex.slice(0, 20)), at('EMSGSIZE', 0)); // shorter than sadb_msg
    expectInputError(cli(['pfkey', 'decode', `${hex}0000000000000000`]), at('EMSGSIZE', 4));
    expectInputError(cli(['pfkey', 'decode', `${hex}000000`]), at('EINVAL', 216));
    expectInputError(cli(['pfkey', 'decode', hex.slice(0, -2)]), at('EMSGSIZE', 4));
  });

  it('messages whose parts disagree', (ctx) => {
    const bytes = Buffer.from(cMessage(c, 'MIGRATE_V4', ctx.skip), 'hex');
    const edit = (f: (b: Buffer) => void): string => {
      const b = Buffer.from(bytes);
      f(b);
      return b.toString('hex');
    };
    // sadb_msg_len one word more than the bytes given
    expectInputError(
      cli(['pfkey', 'decode', edit((b) => b.writeUInt16LE(b.readUInt16LE(4) + 1, 4))]),
      at('EMSGSIZE', 4),
    );
    // KMADDRESS (at 16) claiming more words than the message has
    expectInputError(cli(['pfkey', 'decode', edit((b) => b.writeUInt16LE(200, 16))]), at('EINVAL', 16));
    // an IPv4 ADDRESS_SRC (at 56) with prefix length 33
    expectInputError(cli(['pfkey', 'decode', edit((b) => b.writeUInt8(33, 61))]), at('EINVAL', 61));
    // version 3 instead of PF_KEY_V2
    expectInputError(cli(['pfkey', 'decode', edit((b) => b.writeUInt8(3, 0))]), at('EINVAL', 0));
  });

  it('bad hex and empty input', () => {
    expectInputError(cli(['pfkey', 'decode', '02070003zz']), at('EINVAL', 4));
    expectInputError(cli(['pfkey', 'decode', '0207000302000'])); // odd digit count
    expectInputError(cli(['pfkey', 'decode', '0x']), at('EINVAL', 0));
    expectInputError(cli(['pfkey', 'decode'], ' \n'), at('EINVAL', 0));
  });

  it('encode: bad JSON and a JSON message the codec refuses', () => {
    expectInputError(cli(['pfkey', 'encode', '{"type":']), /^error: EINVAL( at byte \d+)?: not JSON: .+$/);
    expectInputError(cli(['pfkey', 'encode'], '{"a":1}}'), /^error: EINVAL at byte 7: not JSON: .+$/);
    const r = cli(['pfkey', 'encode', '{"type":"NO_SUCH_TYPE","satype":"ESP","extensions":[]}']);
    expectInputError(r, /^error: EINVAL in \$\.type: unknown name "NO_SUCH_TYPE" .+$/);
  });
});
