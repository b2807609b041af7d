/**
 * The JSON form: what toJson prints, hand-written input with defaults left out, names in every accepted
 * spelling, and the errors for bad input.
 */
import { describe, expect, it } from 'vitest';
import * as K from './constants.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { PfkeyInputError } from './input-error.js';
import { toHex } from './ip-address.js';
import { fromJson, toJson } from './json.js';
import type { PfkeyMessage } from './model.js';
import { sample } from './samples.test-util.js';

function inputError(f: () => unknown): PfkeyInputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PfkeyInputError);
    const p = e as PfkeyInputError;
    expect(p.message).toBe(`EINVAL in ${p.path}: ${p.reason}`);
    return p;
  }
  throw new Error('expected a PfkeyInputError');
}

describe('toJson', () => {
  it('prints a MIGRATE with names, text addresses and flat requests in wire order', () => {
    expect(toJson(sample('X_MIGRATE over IPv6 with KMADDRESS').msg)).toEqual({
      type: 'X_MIGRATE',
      satype: 'ESP',
      errno: 0,
      seq: 0,
      pid: 0,
      extensions: [
        { type: 'X_KMADDRESS', local: '2001:db8:dddd::1', remote: '2001:db8:aaaa::1' },
        { type: 'ADDRESS_SRC', address: '2001:db8:aaaa::100', prefixlen: 128, port: 0, proto: 255 },
        { type: 'ADDRESS_DST', address: '::', prefixlen: 0, port: 0, proto: 255 },
        {
          type: 'X_POLICY',
          policyType: 'IPSEC',
          dir: 'OUTBOUND',
          id: 0,
          priority: 0,
          requests: [
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
          ],
        },
      ],
    });
  });

  it('prints SPIs as hex, u64 as decimal strings, keys as hex, errno by name, reserved only when set', () => {
    const j = toJson(sample('ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T').msg);
    expect(j.extensions?.[0]).toMatchObject({
      type: 'SA',
      spi: '0xc0ffee01',
      auth: 'SHA1HMAC',
      encrypt: 'X_AESCBC',
      state: 'MATURE',
    });
    expect(j.extensions?.[1]).toMatchObject({
      type: 'LIFETIME_HARD',
      bytes: '1099511627776',
      addtime: '3600',
    });
    expect(j.extensions?.find((e) => e.type === 'KEY_ENCRYPT')).toEqual({
      type: 'KEY_ENCRYPT',
      bits: 128,
      key: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
    });
    expect(toJson(sample('ACQUIRE failure report').msg)).toMatchObject({ errno: 'ENOENT' });
    expect(toJson(sample('X_SPDDUMP reply with a refcount in sadb_msg_reserved').msg).reserved).toBe(2);
    expect(toJson(sample('GET').msg)).not.toHaveProperty('reserved');
  });

  it('prints ports, flowinfo and scope ids only when set, and unknown extensions by number', () => {
    const m: PfkeyMessage = {
      type: K.SADB_X_SPDFLUSH,
      errno: 0,
      satype: 0,
      reserved: 0,
      seq: 0,
      pid: 0,
      extensions: [
        {
          type: K.SADB_X_EXT_KMADDRESS,
          reserved: 7,
          local: {
            family: K.AF_INET6,
            port: 500,
            flowinfo: 0,
            addr: new Uint8Array(16).fill(0xfe),
            scopeId: 3,
          },
          remote: { family: K.AF_INET6, port: 0, flowinfo: 0, addr: new Uint8Array(16), scopeId: 0 },
        },
        { type: K.UNKNOWN_EXTENSION, exttype: 99, data: Uint8Array.of(1, 2, 3, 4) },
      ],
    };
    expect(toJson(m).extensions).toEqual([
      {
        type: 'X_KMADDRESS',
        local: { address: 'fefe:fefe:fefe:fefe:fefe:fefe:fefe:fefe', port: 500, scopeId: 3 },
        remote: '::',
        reserved: 7,
      },
      { type: 99, data: '01020304' },
    ]);
    expect(toHex(encode(fromJson(JSON.parse(JSON.stringify(toJson(m))))))).toBe(toHex(encode(m)));
  });

  it('identities and contexts are text when they are exactly text, hex otherwise', () => {
    const j = toJson(
      sample('UPDATE of an AH SA with identities, sensitivity, proxy, kmprivate and a security context').msg,
    );
    expect(j.extensions?.find((e) => e.type === 'IDENTITY_SRC')).toEqual({
      type: 'IDENTITY_SRC',
      identType: 'FQDN',
      id: '7',
      identity: 'mn.example',
    });
    expect(j.extensions?.find((e) => e.type === 'IDENTITY_DST')).toEqual({
      type: 'IDENTITY_DST',
      identType: 'PREFIX',
      id: '0',
      data: 'e0e1e2e3e4e5e6e7',
    });
    expect(j.extensions?.find((e) => e.type === 'X_SEC_CTX')).toMatchObject({
      context: 'system_u:object_r:x:s0',
    });
    const bin = toJson({
      type: K.SADB_X_SPDFLUSH,
      errno: 0,
      satype: 0,
      reserved: 0,
      seq: 0,
      pid: 0,
      extensions: [{ type: K.SADB_X_EXT_SEC_CTX, ctxAlg: 1, ctxDoi: 1, context: Uint8Array.of(0xff, 0xfe) }],
    });
    expect(bin.extensions?.[0]).toMatchObject({ contextHex: 'fffe' });
  });

  it('IPComp SAs name their compression algorithm', () => {
    const m: PfkeyMessage = { ...structuredClone(sample('GET').msg), satype: K.SADB_X_SATYPE_IPCOMP };
    (m.extensions[0] as { encrypt: number }).encrypt = K.SADB_X_CALG_DEFLATE;
    expect(toJson(m).extensions?.[0]).toMatchObject({ encrypt: 'X_DEFLATE' });
    expect(fromJson(toJson(m))).toEqual(m);
  });
});

describe('fromJson (hand-written)', () => {
  it('a MIGRATE with every default left out encodes like buildMigrate', () => {
    const json = {
      type: 'X_MIGRATE',
      satype: 'ESP',
      extensions: [
        { type: 'X_KMADDRESS', local: '2001:db8:dddd::1', remote: '2001:db8:aaaa::1' },
        { type: 'ADDRESS_SRC', address: '2001:db8:aaaa::100', proto: 'any' },
        { type: 'ADDRESS_DST', address: '::/0', proto: 255 },
        {
          type: 'X_POLICY',
          dir: 'OUTBOUND',
          requests: [
            {
              proto: 'esp',
              mode: 'tunnel',
              reqid: '0x7e57',
              src: '2001:db8:cccc::1',
              dst: '2001:db8:aaaa::1',
            },
            {
              proto: 50,
              mode: 'IPSEC_MODE_TUNNEL',
              reqid: 32343,
              src: '2001:db8:dddd::1',
              dst: '2001:db8:aaaa::1',
            },
          ],
        },
      ],
    };
    expect(toHex(encode(fromJson(json), { origin: 'user' }))).toBe(
      toHex(encode(sample('X_MIGRATE over IPv6 with KMADDRESS').msg)),
    );
  });

  it('accepts short names, C names, any case, numbers and numeric strings', () => {
    const a = fromJson({
      type: 'x_spdflush',
      satype: 'SADB_SATYPE_ESP',
      errno: 'EINVAL',
      seq: '0x10',
      pid: 5,
    });
    expect(a).toMatchObject({ type: K.SADB_X_SPDFLUSH, satype: 3, errno: 22, seq: 16, pid: 5 });
    expect(fromJson({ type: 19, satype: 3, errno: 22 })).toMatchObject({ type: 19, satype: 3, errno: 22 });
    expect(
      fromJson({ type: 'SADB_X_SPDFLUSH', extensions: [{ type: 'SADB_X_EXT_REF', mpi: 5 }] }).extensions[0],
    ).toEqual({
      type: K.SADB_X_EXT_REF,
      refType: 0,
      refTypeExt: 0,
      mpi: 5n,
    });
  });

  it('defaults: key bits from the key, prefixlen from the family or the CIDR, level from the reqid', () => {
    const m = fromJson({
      type: 'X_SPDADD',
      extensions: [
        { type: 'ADDRESS_SRC', address: '10.0.0.0/8', proto: 'udp', port: 53 },
        { type: 'ADDRESS_DST', address: '10.0.0.1' },
        {
          type: 'X_POLICY',
          dir: 'INBOUND',
          requests: [
            { proto: 'ah', mode: 'transport' },
            { proto: 'esp', mode: 'transport', reqid: 3 },
          ],
        },
        { type: 'KEY_AUTH', key: '00112233' },
      ],
    });
    expect(m.extensions[0]).toMatchObject({ prefixlen: 8, proto: 17, address: { port: 53 } });
    expect(m.extensions[1]).toMatchObject({ prefixlen: 32, proto: 0 });
    expect(m.extensions[2]).toMatchObject({
      policyType: K.IPSEC_POLICY_IPSEC,
      requests: [
        { level: K.IPSEC_LEVEL_REQUIRE, reqid: 0 },
        { level: K.IPSEC_LEVEL_UNIQUE, reqid: 3 },
      ],
    });
    expect(m.extensions[3]).toMatchObject({ bits: 32 });
  });

  it('identity text becomes a NUL-terminated, zero-padded string', () => {
    const m = fromJson({
      type: 'X_SPDFLUSH',
      extensions: [{ type: 'IDENTITY_SRC', identType: 'USERFQDN', identity: 'user@example.org' }],
    });
    const bytes = encode(m);
    expect(bytes.length).toBe(16 + 16 + 24);
    expect(toJson(decode(bytes)).extensions?.[0]).toMatchObject({ identity: 'user@example.org' });
  });

  it('filter addresses by text or hex; family guessed from the text', () => {
    const m = fromJson({
      type: 'DUMP',
      satype: 'ESP',
      extensions: [{ type: 'X_FILTER', saddr: '192.0.2.0', daddr: '00'.repeat(16), splen: 24 }],
    });
    expect(m.extensions[0]).toMatchObject({ family: K.AF_INET, splen: 24 });
    expect(toJson(m).extensions?.[0]).toMatchObject({ saddr: '192.0.2.0', daddr: '0.0.0.0' });
  });

  it('refuses bad input with a path', () => {
    expect(inputError(() => fromJson(null)).path).toBe('$');
    expect(inputError(() => fromJson({})).path).toBe('$.type');
    expect(inputError(() => fromJson({ type: 'NOPE' })).reason).toMatch(
      /unknown name "NOPE" \(known: GETSPI, UPDATE/,
    );
    expect(inputError(() => fromJson({ type: 'ADD', sequence: 1 })).reason).toBe('unknown field "sequence"');
    const e = inputError(() =>
      fromJson({
        type: 'ADD',
        extensions: [
          { type: 'SA', spi: 1 },
          { type: 'ADDRESS_SRC', address: '2001:db8::g' },
        ],
      }),
    );
    expect(e.path).toBe('$.extensions[1].address');
    expect(e.reason).toMatch(/is not an IPv4 or IPv6 address/);
    expect(inputError(() => fromJson({ type: 'ADD', extensions: [{ type: 'SA' }] })).path).toBe(
      '$.extensions[0].spi',
    );
    expect(
      inputError(() => fromJson({ type: 'ADD', extensions: [{ type: 'SA', spi: 1, replay: 256 }] })).reason,
    ).toMatch(/not an integer in 0..255/);
    expect(
      inputError(() => fromJson({ type: 'ADD', extensions: [{ type: 'X_SA2', mode: 'SIDEWAYS' }] })).path,
    ).toBe('$.extensions[0].mode');
    expect(
      inputError(() => fromJson({ type: 'ADD', extensions: [{ type: 'KEY_AUTH', key: 'xyz' }] })).reason,
    ).toBe('expected a hex string');
    expect(
      inputError(() => fromJson({ type: 'ADD', extensions: [{ type: 'LIFETIME_HARD', bytes: 1.5 }] })).reason,
    ).toMatch(/u64/);
    expect(
      inputError(() =>
        fromJson({
          type: 'ADD',
          extensions: [{ type: 'ADDRESS_SRC', address: '10.0.0.0/8', prefixlen: 16 }],
        }),
      ).reason,
    ).toMatch(/differs/);
    expect(
      inputError(() =>
        fromJson({
          type: 'ADD',
          extensions: [{ type: 'X_POLICY', dir: 1, requests: [{ proto: 50, mode: 2, src: '::1' }] }],
        }),
      ).reason,
    ).toMatch(/both src and dst/);
    expect(inputError(() => fromJson({ type: 'ADD', version: 1 })).path).toBe('$.version');
  });
});
