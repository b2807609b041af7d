/**
 * Every structural error the decoder reports (the checks of af_key.c pfkey_get_base_msg and parse_exthdrs,
 * reference §1.1 and §1.3, plus the canonical-form rules of this codec), with its errno, byte offset and
 * message format; and the encoder's refusals.
 */
import { describe, expect, it } from 'vitest';
import * as K from './constants.js';
import { decode, decodeAll, splitMessages } from './decode.js';
import { encode } from './encode.js';
import { fromHex, toHex } from './ip-address.js';
import type { AddressExt, PfkeyExtension, PfkeyMessage } from './model.js';
import { PfkeyError } from './pfkey-error.js';
import { sample } from './samples.test-util.js';

function error(f: () => unknown): PfkeyError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PfkeyError);
    const p = e as PfkeyError;
    expect(p.message).toBe(`${p.code} at byte ${p.offset}: ${p.reason}`);
    expect(p.reason).not.toContain('\n');
    return p;
  }
  throw new Error('expected a PfkeyError');
}

function expectError(
  bytes: Uint8Array,
  code: string,
  offset: number,
  reason: RegExp,
  options?: Parameters<typeof decode>[1],
): void {
  const e = error(() => decode(bytes, options));
  expect({ code: e.code, offset: e.offset }).toEqual({ code, offset });
  expect(e.reason).toMatch(reason);
}

/** A message of `type` with the given extension bytes (hex), sadb_msg_len computed. */
function raw(type: number, satype: number, ...exts: string[]): Uint8Array {
  const body = exts.join('');
  const words = 2 + body.length / 16;
  const hdr =
    `02${type.toString(16).padStart(2, '0')}00${satype.toString(16).padStart(2, '0')}${(words & 0xff).toString(16).padStart(2, '0')}${(words >> 8).toString(16).padStart(2, '0')}0000` +
    '01000000' +
    '64000000';
  return fromHex(hdr + body) as Uint8Array;
}

// Extension bodies written out by hand, in the layouts of kernel-interfaces.md Appendix A.
const SA = '02000100' + 'c0ffee01' + '20010000' + '00000000'; // len 2, SADB_EXT_SA, spi, replay 32, state 1
const SRC4 = '03000500' + '00200000' + '0200' + '0000' + 'c0000201' + '0000000000000000'; // 192.0.2.1/32
const DST4 = '03000600' + '00200000' + '0200' + '0000' + 'c0000202' + '0000000000000000';

describe('base header (pfkey_get_base_msg)', () => {
  const ok = raw(K.SADB_X_SPDFLUSH, 0);

  it('accepts the smallest message', () => {
    expect(decode(ok)).toMatchObject({ type: K.SADB_X_SPDFLUSH, seq: 1, pid: 100, extensions: [] });
  });

  it('shorter than sadb_msg: EMSGSIZE at 0', () => {
    expectError(ok.subarray(0, 15), 'EMSGSIZE', 0, /shorter than the 16-byte sadb_msg/);
    expectError(new Uint8Array(0), 'EMSGSIZE', 0, /0 bytes/);
  });

  it('version other than PF_KEY_V2: EINVAL at 0', () => {
    const b = ok.slice();
    b[0] = 1;
    expectError(b, 'EINVAL', 0, /sadb_msg_version 1 is not PF_KEY_V2/);
  });

  it('type 0 or above SADB_MAX: EINVAL at 1', () => {
    for (const t of [0, 25, 255]) {
      const b = ok.slice();
      b[1] = t;
      expectError(b, 'EINVAL', 1, new RegExp(`sadb_msg_type ${t} is outside 1..24`));
    }
  });

  it('sadb_msg_len below 2 words, above the buffer, or short of it: EMSGSIZE at 4', () => {
    const b = ok.slice();
    b[4] = 1;
    expectError(b, 'EMSGSIZE', 4, /below 2 words/);
    b[4] = 3;
    expectError(b, 'EMSGSIZE', 4, /says 24 bytes \(3 words\) but 16 bytes were given/);
    const longer = new Uint8Array(24);
    longer.set(ok);
    expectError(longer, 'EMSGSIZE', 4, /says 16 bytes \(2 words\) but 24 bytes were given/);
  });

  it('1..7 stray bytes after the message: EINVAL where they start (as parse_exthdrs finds them)', () => {
    const b = new Uint8Array(21);
    b.set(ok);
    expectError(b, 'EINVAL', 16, /5 stray bytes/);
  });
});

describe('extension walk (parse_exthdrs)', () => {
  it('sadb_ext_len 0: EINVAL at the extension', () => {
    expectError(raw(K.SADB_X_SPDFLUSH, 0, '00000100' + '00000000'), 'EINVAL', 16, /sadb_ext_len is 0 words/);
  });

  it('over-long: the extension claims more than the message has', () => {
    expectError(
      raw(K.SADB_X_SPDFLUSH, 0, `03000100${'00'.repeat(12)}`),
      'EINVAL',
      16,
      /says 24 bytes but only 16 are left/,
    );
    // An over-long extension in the middle swallows its neighbour's header and runs off the end.
    expectError(
      raw(K.SADB_DELETE, 3, SA.replace(/^0200/, '0600'), SRC4),
      'EINVAL',
      16,
      /says 48 bytes but only 40 are left/,
    );
    // One that stays inside the message but runs over its neighbour breaks the neighbour or its own layout.
    expectError(
      raw(K.SADB_DELETE, 3, SA.replace(/^0200/, '0500'), SRC4),
      'EINVAL',
      16,
      /sadb_sa length is 5 words/,
    );
  });

  it('type 0 (SADB_EXT_RESERVED): EINVAL at the type field', () => {
    expectError(raw(K.SADB_X_SPDFLUSH, 0, '01000000' + '00000000'), 'EINVAL', 18, /SADB_EXT_RESERVED/);
  });

  it('shorter than Linux minimum for its type (sadb_ext_min_len)', () => {
    expectError(
      raw(K.SADB_X_SPDFLUSH, 0, '01000100' + '00000000'),
      'EINVAL',
      16,
      /SADB_EXT_SA is 8 bytes; Linux needs at least 16/,
    );
    expectError(
      raw(K.SADB_X_SPDFLUSH, 0, `03001a00${'00'.repeat(20)}`),
      'EINVAL',
      16,
      /SADB_X_EXT_FILTER is 24 bytes; Linux needs at least 40/,
    );
  });

  it('duplicate extension: EINVAL at the second one', () => {
    expectError(
      raw(K.SADB_DELETE, 3, SA, SRC4, SRC4, DST4),
      'EINVAL',
      16 + 16 + 24 + 2,
      /duplicate SADB_EXT_ADDRESS_SRC/,
    );
    const ref = '02002000' + '01000000' + '0100000000000000';
    expectError(raw(K.SADB_X_SPDADD, 0, ref, ref), 'EINVAL', 16 + 16 + 2, /duplicate SADB_X_EXT_REF/);
  });

  it('unknown extension types are kept by default and refused on request', () => {
    const b = raw(K.SADB_DELETE, 3, SA, SRC4, '02002800' + 'aabbccdd' + '0011223344556677', DST4);
    const m = decode(b);
    expect(m.extensions[2]).toEqual({
      type: K.UNKNOWN_EXTENSION,
      exttype: 40,
      data: fromHex('aabbccdd0011223344556677'),
    });
    expect(toHex(encode(m))).toBe(toHex(b));
    expectError(b, 'EINVAL', 16 + 16 + 24 + 2, /unknown extension type 40/, { unknownExtensions: 'reject' });
  });

  it('fixed-size extensions must be exactly their size (Linux would ignore the surplus)', () => {
    expectError(
      raw(K.SADB_DELETE, 3, `${SA.replace(/^0200/, '0300')}${'00'.repeat(8)}`, SRC4, DST4),
      'EINVAL',
      16,
      /sadb_sa length is 3 words; it must be exactly 2/,
    );
    expectError(
      raw(K.SADB_X_SPDADD, 0, `03002000${'01000000'}${'00'.repeat(16)}`),
      'EINVAL',
      16,
      /sadb_x_ref length is 3 words/,
    );
  });
});

/** Encodes a sample, lets `f` damage the bytes, and returns them. */
function damaged(name: string, f: (b: Uint8Array, dv: DataView) => void): Uint8Array {
  const b = encode(sample(name).msg).slice();
  f(b, new DataView(b.buffer));
  return b;
}

/** Byte offset of the first extension of `type` in an encoded message. */
function extOffset(b: Uint8Array, type: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 16; o < b.length; o += dv.getUint16(o, true) * 8)
    if (dv.getUint16(o + 2, true) === type) return o;
  throw new Error(`no extension ${type}`);
}

describe('address extensions (verify_address_len) and sockaddrs', () => {
  const del = 'DELETE'; // 192.0.2.1 -> 198.51.100.7
  it('family neither AF_INET nor AF_INET6', () => {
    const b = damaged(del, (x) => {
      x[16 + 16 + 8] = 3;
    });
    expectError(b, 'EINVAL', 40, /address family 3 is neither AF_INET/);
  });

  it('length not matching the family (sockaddr family/length mismatch)', () => {
    const b = damaged(del, (x) => {
      x[16 + 16 + 8] = 10;
    }); // claims AF_INET6 in a 3-word extension
    expectError(b, 'EINVAL', 32, /sadb_address_len is 3 words; family 10 needs exactly 5/);
  });

  it('prefix length beyond the family', () => {
    const b = damaged(del, (x) => {
      x[16 + 16 + 5] = 33;
    });
    expectError(b, 'EINVAL', 37, /sadb_address_prefixlen 33 exceeds 32/);
  });

  it('reserved, sin_zero and IPv6 padding must be zero', () => {
    expectError(
      damaged(del, (x) => {
        x[16 + 16 + 7] = 1;
      }),
      'EINVAL',
      39,
      /sadb_address_reserved must be zero/,
    );
    expectError(
      damaged(del, (x) => {
        x[16 + 16 + 8 + 12] = 1;
      }),
      'EINVAL',
      52,
      /sin_zero must be zero/,
    );
    const v6 = damaged('GET', (x) => {
      x[16 + 16 + 39] = 1;
    });
    expectError(v6, 'EINVAL', 16 + 16 + 39, /sockaddr padding must be zero/);
  });

  it('SRC and DST of different families', () => {
    const m = structuredClone(sample(del).msg);
    const dst = m.extensions[2] as AddressExt;
    dst.address = { family: K.AF_INET6, port: 0, flowinfo: 0, addr: new Uint8Array(16).fill(1), scopeId: 0 };
    dst.prefixlen = 128;
    expectError(
      encode(m, { validate: false }),
      'EINVAL',
      16 + 16 + 24 + 8,
      /family 10 differs from ADDRESS_SRC family 2/,
    );
  });
});

describe('other extension bodies', () => {
  const upd = 'UPDATE of an AH SA with identities, sensitivity, proxy, kmprivate and a security context';

  it('keys: too short for their bits (verify_key_len), longer than needed, non-zero padding', () => {
    const add = 'ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T';
    let o = 0;
    const short = damaged(add, (b, dv) => {
      o = extOffset(b, K.SADB_EXT_KEY_AUTH);
      dv.setUint16(o + 4, 1024, true);
    });
    expectError(short, 'EINVAL', o, /1024 key bits need 17/);
    const long = damaged(add, (b, dv) => {
      o = extOffset(b, K.SADB_EXT_KEY_AUTH);
      dv.setUint16(o + 4, 8, true);
    });
    expectError(long, 'EINVAL', o, /8 key bits take exactly 2/);
    const pad = damaged(add, (b) => {
      o = extOffset(b, K.SADB_EXT_KEY_AUTH);
      b[o + 8 + 20] = 1;
    });
    expectError(pad, 'EINVAL', o + 28, /sadb_key padding must be zero/);
  });

  it('security context: too long for PAGE_SIZE, length not matching', () => {
    let o = 0;
    const big = damaged(upd, (b, dv) => {
      o = extOffset(b, K.SADB_X_EXT_SEC_CTX);
      dv.setUint16(o + 6, 5000, true);
    });
    expectError(big, 'EINVAL', o + 6, /5000 exceeds PAGE_SIZE/);
    const off = damaged(upd, (b, dv) => {
      o = extOffset(b, K.SADB_X_EXT_SEC_CTX);
      dv.setUint16(o + 6, 30, true);
    });
    expectError(off, 'EINVAL', o, /a 30-byte context needs exactly 5/);
  });

  it('sensitivity bitmaps not matching the length; proposal not whole combs', () => {
    let o = 0;
    const sens = damaged(upd, (b) => {
      o = extOffset(b, K.SADB_EXT_SENSITIVITY);
      b[o + 9] = 3;
    });
    expectError(sens, 'EINVAL', o, /bitmaps of 3 \+ 1 words take 6/);
    const prop = raw(
      K.SADB_ACQUIRE,
      3,
      SRC4,
      DST4,
      `02001200${'0200'}0000${'00'.repeat(8)}`,
      `02000d00${'20000000'}${'00'.repeat(8)}`,
    );
    expectError(
      prop,
      'EINVAL',
      16 + 48 + 16,
      /sadb_prop body of 8 bytes is not a whole number of 72-byte sadb_comb/,
    );
  });

  it('ipsecrequests: length out of range, not a sockaddr pair, family mismatch, trailing bytes', () => {
    const spd = 'X_SPDADD with tunnel templates of both families';
    let o = 0;
    const tooBig = damaged(spd, (b, dv) => {
      o = extOffset(b, K.SADB_X_EXT_POLICY) + 16;
      dv.setUint16(o, 500, true);
    });
    expectError(tooBig, 'EINVAL', o, /sadb_x_ipsecrequest_len 500 \(bytes\) must be 16\.\./);
    const small = damaged(spd, (b, dv) => {
      o = extOffset(b, K.SADB_X_EXT_POLICY) + 16;
      dv.setUint16(o, 8, true);
    });
    expectError(small, 'EINVAL', o, /sadb_x_ipsecrequest_len 8/);
    // A 20-byte request (Linux would step 20 bytes on, misaligning the next one).
    const odd = damaged(spd, (b, dv) => {
      o = extOffset(b, K.SADB_X_EXT_POLICY) + 16;
      dv.setUint16(o, 20, true);
    });
    expectError(odd, 'EINVAL', o + 16, /sockaddr pair takes 56 bytes, not 4/);
    const fam = damaged(spd, (b) => {
      o = extOffset(b, K.SADB_X_EXT_POLICY) + 16;
      b[o + 16 + 28] = 2; // second sockaddr claims AF_INET
    });
    expectError(fam, 'EINVAL', o + 16 + 28, /second sockaddr has family 2, first has 10/);
    const trailing = raw(K.SADB_X_SPDFLUSH, 0, `03001200${'0200'}0200${'00'.repeat(16)}`);
    expectError(trailing, 'EINVAL', 32, /8 bytes left in sadb_x_policy/);
  });

  it('KMADDRESS: families differ, wrong length', () => {
    const mig = 'X_MIGRATE over IPv6 with KMADDRESS';
    expectError(
      damaged(mig, (b) => {
        b[16 + 8 + 28] = 2;
      }),
      'EINVAL',
      16 + 8 + 28,
      /second sockaddr has family 2, first has 10/,
    );
    const k4 = `05001900${'00000000'}0200000001020304${'00'.repeat(8)}0200000005060708${'00'.repeat(8)}`;
    expect(decode(raw(K.SADB_X_SPDFLUSH, 0, k4)).extensions[0]).toMatchObject({
      type: K.SADB_X_EXT_KMADDRESS,
    });
    const k4long = `06001900${'00000000'}0200000001020304${'00'.repeat(8)}0200000005060708${'00'.repeat(16)}`;
    expectError(
      raw(K.SADB_X_SPDFLUSH, 0, k4long),
      'EINVAL',
      24,
      /AF_INET sockaddr pair takes 32 bytes, not 40/,
    );
  });

  it('SADB_X_EXT_REF: only version 1', () => {
    expectError(
      raw(K.SADB_X_SPDADD, 0, `02002000${'02000000'}${'00'.repeat(8)}`),
      'EINVAL',
      20,
      /sadb_ref_ver 2 is not 1/,
    );
  });

  it('reserved fields inside extensions must be zero', () => {
    let o = 0;
    const sa2 = damaged('GETSPI with SA2 and SPIRANGE', (b) => {
      o = extOffset(b, K.SADB_X_EXT_SA2);
      b[o + 6] = 1;
    });
    expectError(sa2, 'EINVAL', o + 6, /sadb_x_sa2_reserved1\/2 must be zero/);
    const pol = damaged('X_SPDGET by id', (b) => {
      b[16 + 7] = 1;
    });
    expectError(pol, 'EINVAL', 23, /sadb_x_policy_reserved must be zero/);
  });
});

describe('several messages in one buffer', () => {
  it('decodeAll and splitMessages walk by sadb_msg_len; offsets count from the buffer start', () => {
    const a = encode(sample('DELETE').msg);
    const b = encode(sample('X_SPDGET by id').msg);
    const buf = new Uint8Array(a.length + b.length);
    buf.set(a);
    buf.set(b, a.length);
    expect(splitMessages(buf).map((m) => m.length)).toEqual([a.length, b.length]);
    expect(decodeAll(buf).map((m) => m.type)).toEqual([K.SADB_DELETE, K.SADB_X_SPDGET]);
    buf[a.length + 16 + 7] = 1; // policy reserved byte of the second message
    const e = error(() => decodeAll(buf));
    expect(e.offset).toBe(a.length + 23);
    const cut = buf.subarray(0, buf.length - 8);
    expect(error(() => splitMessages(cut))).toMatchObject({ code: 'EMSGSIZE', offset: a.length + 4 });
  });
});

describe('encoder refusals', () => {
  const get: PfkeyMessage = sample('GET').msg;
  const withExt = (i: number, patch: object): PfkeyMessage => {
    const m = structuredClone(get);
    Object.assign(m.extensions[i] as object, patch);
    return m;
  };

  it('values that do not fit their field, at the field offset', () => {
    expect(error(() => encode({ ...get, seq: 2 ** 32 }))).toMatchObject({ code: 'EINVAL', offset: 8 });
    expect(error(() => encode({ ...get, type: 0 }))).toMatchObject({ code: 'EINVAL', offset: 1 });
    expect(error(() => encode(withExt(0, { spi: -1 })))).toMatchObject({ code: 'EINVAL', offset: 20 });
    expect(error(() => encode(withExt(0, { replay: 256 })))).toMatchObject({ code: 'EINVAL', offset: 24 });
    expect(error(() => encode(withExt(1, { prefixlen: 129 })))).toMatchObject({ code: 'EINVAL', offset: 37 });
    expect(
      error(() => encode(withExt(1, { address: { family: 99, port: 0, addr: new Uint8Array(4) } }))),
    ).toMatchObject({ offset: 40 });
    const lt = {
      ...get,
      extensions: [
        { type: K.SADB_EXT_LIFETIME_CURRENT, allocations: 0, bytes: 1n << 64n, addtime: 0n, usetime: 0n },
      ],
    };
    expect(error(() => encode(lt as PfkeyMessage, { validate: false })).reason).toMatch(
      /sadb_lifetime_bytes must be a bigint/,
    );
  });

  it('key bits must match the key bytes; unknown records may not use known types', () => {
    const m = {
      type: K.SADB_X_SPDFLUSH,
      extensions: [{ type: K.SADB_EXT_KEY_AUTH, bits: 100, key: new Uint8Array(12) }] as PfkeyExtension[],
    };
    expect(error(() => encode(m)).reason).toMatch(/needs 13 key bytes, the key has 12/);
    const u = {
      type: K.SADB_X_SPDFLUSH,
      extensions: [{ type: K.UNKNOWN_EXTENSION, exttype: 5, data: new Uint8Array(4) }] as PfkeyExtension[],
    };
    expect(error(() => encode(u)).reason).toMatch(/reserved or known/);
  });

  it('duplicates are refused unless validation is off (to build bad messages for tests)', () => {
    const dup = {
      ...structuredClone(get),
      extensions: [...get.extensions, get.extensions[1] as PfkeyExtension],
    };
    expect(error(() => encode(dup)).reason).toMatch(/duplicate SADB_EXT_ADDRESS_SRC/);
    expect(error(() => decode(encode(dup, { validate: false }))).reason).toMatch(/duplicate/);
  });

  it('a message beyond 65535 words: EMSGSIZE', () => {
    const m = {
      type: K.SADB_X_SPDFLUSH,
      extensions: [{ type: K.SADB_X_EXT_KMPRIVATE, data: new Uint8Array(0xffff * 8) }] as PfkeyExtension[],
    };
    expect(error(() => encode(m))).toMatchObject({ code: 'EMSGSIZE' });
  });

  it('defaults the header fields it is not given', () => {
    expect(toHex(encode({ type: K.SADB_X_SPDFLUSH }))).toBe('02130000020000000000000000000000');
  });
});
