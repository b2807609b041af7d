/** The message builders: they produce what Linux expects (user origin) or emits (kernel origin). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as K from './constants.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { PfkeyInputError } from './input-error.js';
import { toHex } from './ip-address.js';
import { buildAcquire, buildAdd, buildSpdAdd, errorReply } from './message-builders.js';
import { buildMigrate, protoToSatype, readMigrate } from './migrate-message.js';
import { getExtension } from './model.js';
import { PfkeyError } from './pfkey-error.js';

describe('buildMigrate / readMigrate', () => {
  const spec = {
    selector: { src: '2001:db8:aaaa::100', dst: '::/0', proto: K.IPPROTO_MH },
    dir: K.IPSEC_DIR_INBOUND,
    kmaddress: { local: '2001:db8:aaaa::1', remote: '2001:db8:dddd::1' },
    bundles: [
      {
        proto: K.IPPROTO_ESP,
        mode: K.IPSEC_MODE_TUNNEL,
        reqid: 1,
        old: { src: '2001:db8:cccc::1', dst: '2001:db8:aaaa::1' },
        new: { src: '2001:db8:dddd::1', dst: '2001:db8:aaaa::1' },
      },
      {
        proto: K.IPPROTO_ESP,
        mode: K.IPSEC_MODE_TRANSPORT,
        old: { src: '2001:db8:cccc::1', dst: '2001:db8:aaaa::1' },
        new: { src: '2001:db8:dddd::1', dst: '2001:db8:aaaa::1' },
      },
    ],
  };

  it('lays the message out in the draft order with the sizes Linux computes', () => {
    const m = buildMigrate(spec);
    expect(m.extensions.map((e) => e.type)).toEqual([
      K.SADB_X_EXT_KMADDRESS,
      K.SADB_EXT_ADDRESS_SRC,
      K.SADB_EXT_ADDRESS_DST,
      K.SADB_X_EXT_POLICY,
    ]);
    expect(m.satype).toBe(K.SADB_SATYPE_ESP);
    const bytes = encode(m, { origin: 'user' });
    expect(bytes.length).toBe(16 + 64 + 40 + 40 + 16 + 4 * 72);
    const pol = getExtension(decode(bytes), K.SADB_X_EXT_POLICY);
    expect(pol?.requests.map((r) => r.level)).toEqual([
      K.IPSEC_LEVEL_UNIQUE,
      K.IPSEC_LEVEL_UNIQUE,
      K.IPSEC_LEVEL_REQUIRE,
      K.IPSEC_LEVEL_REQUIRE,
    ]);
  });

  it('readMigrate gives back what buildMigrate was given', () => {
    const v = readMigrate(decode(encode(buildMigrate(spec))));
    expect(v.dir).toBe(K.IPSEC_DIR_INBOUND);
    expect(v.selector.proto).toBe(K.IPPROTO_MH);
    expect(v.bundles).toHaveLength(2);
    expect(toHex(encode(buildMigrate(v)))).toBe(toHex(encode(buildMigrate(spec))));
    expect(() =>
      readMigrate(
        decode(
          encode(
            buildAdd({
              satype: 3,
              spi: 1,
              src: '::1',
              dst: '::2',
              encrypt: { alg: 12, key: new Uint8Array(16) },
            }),
          ),
        ),
      ),
    ).toThrow(PfkeyError);
  });

  it('refuses a MIGRATE without bundles, and bad address text', () => {
    expect(() => buildMigrate({ ...spec, bundles: [] })).toThrow(PfkeyInputError);
    expect(() => buildMigrate({ ...spec, kmaddress: { local: 'x', remote: '::1' } })).toThrow(
      /kmaddress.local/,
    );
  });

  it('maps protocols to satypes as pfkey_proto2satype', () => {
    expect([K.IPPROTO_AH, K.IPPROTO_ESP, K.IPPROTO_COMP, K.IPPROTO_UDP].map(protoToSatype)).toEqual([
      2, 3, 9, 0,
    ]);
  });
});

describe('other builders', () => {
  it('buildAdd: an ESP SA Linux accepts, with SADB_UPDATE on request', () => {
    const add = buildAdd({
      satype: K.SADB_SATYPE_ESP,
      spi: 0x1000,
      src: '192.0.2.1',
      dst: '192.0.2.2',
      auth: { alg: K.SADB_X_AALG_SHA2_256HMAC, key: new Uint8Array(32).fill(1) },
      encrypt: { alg: K.SADB_X_EALG_AESCBC, key: new Uint8Array(16).fill(2) },
      hard: { addtime: 3600n },
      soft: { addtime: 3000n },
    });
    expect(decode(encode(add, { origin: 'user' }), { origin: 'user' })).toEqual(add);
    expect(buildAdd({ satype: 2, spi: 1, src: '::1', dst: '::2', update: true }).type).toBe(K.SADB_UPDATE);
  });

  it('buildSpdAdd: templates with tunnel endpoints and an MSRD reference', () => {
    const m = buildSpdAdd({
      selector: { src: '::/0', dst: '2001:db8:aaaa::100' },
      dir: K.IPSEC_DIR_OUTBOUND,
      templates: [
        {
          proto: K.IPPROTO_ESP,
          mode: K.IPSEC_MODE_TUNNEL,
          reqid: 5,
          src: '2001:db8:cccc::1',
          dst: '2001:db8:aaaa::1',
        },
      ],
      ref: { mpi: 42n },
    });
    expect(decode(encode(m, { origin: 'user' }), { origin: 'user' })).toEqual(m);
    expect(getExtension(m, K.SADB_X_EXT_REF)).toEqual({
      type: K.SADB_X_EXT_REF,
      refType: 0,
      refTypeExt: 0,
      mpi: 42n,
    });
    expect(() =>
      buildSpdAdd({
        selector: { src: '::', dst: '::' },
        dir: 2,
        templates: [{ proto: 50, mode: 2, src: '::1' }],
      }),
    ).toThrow(/both src and dst/);
  });

  it('buildAcquire: the kernel form, accepted as kernel output and refused as user input', () => {
    const m = buildAcquire({
      proto: K.IPPROTO_ESP,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      policyId: 9,
      seq: 1,
      ref: { mpi: 7n },
    });
    const b = encode(m, { origin: 'kernel' });
    expect(decode(b, { origin: 'kernel' })).toEqual(m);
    expect(() => decode(b, { origin: 'user' })).toThrow(/EOPNOTSUPP/);
  });

  it('errorReply: header-only, errno clamped like pfkey_error', () => {
    const r = errorReply({ type: K.SADB_X_MIGRATE, satype: 3, seq: 9, pid: 7, reserved: 0 }, 'ENOENT');
    expect(toHex(encode(r, { origin: 'kernel' }))).toBe('02180203020000000900000007000000');
    expect(() => errorReply(r, 0)).toThrow(PfkeyInputError);
  });
});

describe('the README example', () => {
  it('examples/decode-migrate.mjs decodes the MIGRATE buildMigrate makes for its description', () => {
    const text = readFileSync(new URL('../examples/decode-migrate.mjs', import.meta.url), 'utf8');
    const hex = [...text.matchAll(/'([0-9a-f]{16,})'/g)].map((m) => m[1]).join('');
    const m = buildMigrate({
      selector: { src: '10.1.0.0/16', dst: '10.2.0.5' },
      dir: K.IPSEC_DIR_OUTBOUND,
      kmaddress: { local: '192.0.2.77', remote: '198.51.100.1' },
      bundles: [
        {
          proto: K.IPPROTO_ESP,
          mode: K.IPSEC_MODE_TUNNEL,
          reqid: 42,
          old: { src: '192.0.2.10', dst: '198.51.100.1' },
          new: { src: '192.0.2.77', dst: '198.51.100.1' },
        },
      ],
    });
    expect(hex).toBe(toHex(encode(m, { origin: 'user' })));
  });
});
