/**
 * Every message type of RFC 2367 and Linux, and the message rules of validate.ts: which extensions each
 * type needs from user space (af_key.c handlers), what the kernel emits, and the errno Linux answers with.
 */
import { describe, expect, it } from 'vitest';
import * as K from './constants.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { toHex } from './ip-address.js';
import { fromJson, toJson } from './json.js';
import { errorReply } from './message-builders.js';
import type { AddressExt, IpsecRequest, PfkeyMessage, PolicyExt, SaExt } from './model.js';
import { EXT_TYPES, MSG_TYPES } from './names.js';
import { PfkeyError } from './pfkey-error.js';
import { SAMPLES, sample } from './samples.test-util.js';
import type { Origin } from './validate.js';

function clone(m: PfkeyMessage): PfkeyMessage {
  return structuredClone(m);
}

/** Encodes without rules, then decodes with the rules of `origin`; returns the error or undefined. */
function judge(m: PfkeyMessage, origin: Origin): PfkeyError | undefined {
  const bytes = encode(m, { validate: false });
  try {
    decode(bytes, { origin });
    return undefined;
  } catch (e) {
    if (e instanceof PfkeyError) return e;
    throw e;
  }
}

function expectRefused(m: PfkeyMessage, origin: Origin, code: string, reason: RegExp): PfkeyError {
  const e = judge(m, origin);
  expect(e, 'refused').toBeInstanceOf(PfkeyError);
  expect(e?.code).toBe(code);
  expect(e?.reason).toMatch(reason);
  // encode with validation refuses the same model the same way.
  expect(() => encode(m, { origin })).toThrow(e?.message);
  return e as PfkeyError;
}

const without = (m: PfkeyMessage, type: number): PfkeyMessage => ({
  ...clone(m),
  extensions: clone(m).extensions.filter((e) => e.type !== type),
});
const policyOf = (m: PfkeyMessage): PolicyExt =>
  m.extensions.find((e) => e.type === K.SADB_X_EXT_POLICY) as PolicyExt;

describe('every message type', () => {
  it('the samples cover all 24 message types and every extension type', () => {
    expect(new Set(SAMPLES.map((s) => s.msg.type))).toEqual(new Set(MSG_TYPES.entries().map(([v]) => v)));
    const exts = new Set(SAMPLES.flatMap((s) => s.msg.extensions.map((e) => e.type)));
    expect(exts).toEqual(new Set(EXT_TYPES.entries().map(([v]) => v)));
  });

  for (const s of SAMPLES) {
    it(`${MSG_TYPES.short(s.msg.type)}: ${s.name}`, () => {
      const bytes = encode(s.msg, { origin: s.origin });
      expect(bytes[0]).toBe(K.PF_KEY_V2);
      expect(bytes[1]).toBe(s.msg.type);
      expect(new DataView(bytes.buffer).getUint16(4, true) * 8).toBe(bytes.length);
      const back = decode(bytes, { origin: s.origin });
      expect(back).toEqual(s.msg);
      expect(decode(bytes)).toEqual(s.msg); // origin 'any' accepts what either side sends
      expect(toHex(encode(back))).toBe(toHex(bytes));
      expect(toHex(encode(fromJson(JSON.parse(JSON.stringify(toJson(back))))))).toBe(toHex(bytes));
    });
  }
});

describe('user space -> kernel (af_key.c handlers)', () => {
  it('sadb_msg_reserved must be 0', () => {
    const m = { ...clone(sample('FLUSH').msg), reserved: 1 };
    expect(expectRefused(m, 'user', 'EINVAL', /sadb_msg_reserved/).offset).toBe(6);
  });

  it('types without a handler get EOPNOTSUPP, at the type byte', () => {
    for (const type of [
      K.SADB_EXPIRE,
      K.SADB_X_PCHANGE,
      K.SADB_X_SPDACQUIRE,
      K.SADB_X_SPDEXPIRE,
      K.SADB_X_NAT_T_NEW_MAPPING,
    ]) {
      const e = expectRefused({ ...clone(sample('FLUSH').msg), type }, 'user', 'EOPNOTSUPP', /no handler/);
      expect(e.offset).toBe(1);
    }
  });

  it('SADB_ACQUIRE from user space is header-only', () => {
    expectRefused(
      { ...clone(sample('extended ACQUIRE from the kernel with a proposal and SADB_X_EXT_REF').msg) },
      'user',
      'EOPNOTSUPP',
      /header-only/,
    );
    expect(judge(sample('ACQUIRE failure report').msg, 'user')).toBeUndefined();
  });

  it('ADD/UPDATE need SA, SRC and DST of one family, keys by satype, both lifetimes or none', () => {
    const add = sample('ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T').msg;
    expectRefused(without(add, K.SADB_EXT_SA), 'user', 'EINVAL', /needs SADB_EXT_SA/);
    expectRefused(without(add, K.SADB_EXT_ADDRESS_DST), 'user', 'EINVAL', /needs SADB_EXT_ADDRESS_DST/);
    expectRefused(
      without(add, K.SADB_EXT_KEY_ENCRYPT),
      'user',
      'EINVAL',
      /ESP SA needs SADB_EXT_KEY_ENCRYPT/,
    );
    expectRefused(
      without(add, K.SADB_EXT_LIFETIME_SOFT),
      'user',
      'EINVAL',
      /LIFETIME_HARD and SADB_EXT_LIFETIME_SOFT together/,
    );
    expectRefused({ ...clone(add), satype: K.SADB_SATYPE_RSVP }, 'user', 'EINVAL', /names no IPsec protocol/);
    const upd = sample(
      'UPDATE of an AH SA with identities, sensitivity, proxy, kmprivate and a security context',
    ).msg;
    expectRefused(without(upd, K.SADB_EXT_KEY_AUTH), 'user', 'EINVAL', /AH SA needs SADB_EXT_KEY_AUTH/);
    const mixed = clone(add);
    const dst = mixed.extensions.find((e) => e.type === K.SADB_EXT_ADDRESS_DST) as AddressExt;
    dst.address = { family: K.AF_INET6, port: 0, flowinfo: 0, addr: new Uint8Array(16).fill(1), scopeId: 0 };
    dst.prefixlen = 128;
    expectRefused(mixed, 'user', 'EINVAL', /family 10 differs from ADDRESS_SRC family 2/);
  });

  it('ADD/UPDATE algorithm and key checks of pfkey_msg2xfrm_state', () => {
    const add = sample('ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T').msg;
    const withSa = (f: Partial<SaExt>): PfkeyMessage => {
      const m = clone(add);
      Object.assign(m.extensions[0] as object, f);
      return m;
    };
    expectRefused(withSa({ auth: 252 }), 'user', 'EINVAL', /exceeds SADB_AALG_MAX/);
    expectRefused(withSa({ encrypt: 254 }), 'user', 'EINVAL', /exceeds SADB_EALG_MAX/);
    const comp = { ...withSa({ encrypt: 5, auth: 0 }), satype: K.SADB_X_SATYPE_IPCOMP };
    expectRefused(comp, 'user', 'EINVAL', /SADB_X_CALG_MAX/);
    const zeroKey = clone(add);
    zeroKey.extensions = zeroKey.extensions.map((e) =>
      e.type === K.SADB_EXT_KEY_ENCRYPT ? { ...e, bits: 0, key: new Uint8Array(0) } : e,
    );
    expectRefused(zeroKey, 'user', 'EINVAL', /KEY_ENCRYPT has 0 bits/);
    const nullEnc = clone(zeroKey);
    (nullEnc.extensions[0] as { encrypt: number }).encrypt = K.SADB_EALG_NULL;
    expect(judge(nullEnc, 'user')).toBeUndefined();
    const badMode = clone(add);
    badMode.extensions = badMode.extensions.map((e) =>
      e.type === K.SADB_X_EXT_SA2 ? { ...e, mode: K.IPSEC_MODE_IPTFS } : e,
    );
    expectRefused(badMode, 'user', 'EINVAL', /sadb_x_sa2_mode 4 has no XFRM mode/);
  });

  it('DELETE and GET need SA, SRC and DST', () => {
    expectRefused(
      without(sample('DELETE').msg, K.SADB_EXT_SA),
      'user',
      'EINVAL',
      /SADB_DELETE needs SADB_EXT_SA/,
    );
    expectRefused(
      without(sample('GET').msg, K.SADB_EXT_ADDRESS_SRC),
      'user',
      'EINVAL',
      /SADB_GET needs SADB_EXT_ADDRESS_SRC/,
    );
  });

  it('GETSPI: addresses, satype, SA2 mode, SPI range order, 16-bit IPComp CPIs', () => {
    const g = sample('GETSPI with SA2 and SPIRANGE').msg;
    expectRefused(without(g, K.SADB_EXT_ADDRESS_SRC), 'user', 'EINVAL', /needs SADB_EXT_ADDRESS_SRC/);
    const range = (min: number, max: number, satype = K.SADB_SATYPE_ESP): PfkeyMessage => {
      const m = { ...clone(g), satype };
      m.extensions = m.extensions.map((e) => (e.type === K.SADB_EXT_SPIRANGE ? { ...e, min, max } : e));
      return m;
    };
    expectRefused(range(0x200, 0x100), 'user', 'EINVAL', /exceeds max/);
    expectRefused(range(0x100, 0x10000, K.SADB_X_SATYPE_IPCOMP), 'user', 'EINVAL', /IPComp CPI range/);
    expect(judge(range(0x100, 0xffff, K.SADB_X_SATYPE_IPCOMP), 'user')).toBeUndefined();
  });

  it('REGISTER, FLUSH, DUMP, PROMISC header checks', () => {
    expectRefused(
      { ...clone(sample('REGISTER request').msg), satype: 10 },
      'user',
      'EINVAL',
      /exceeds SADB_SATYPE_MAX/,
    );
    expectRefused(
      { ...clone(sample('FLUSH').msg), satype: K.SADB_SATYPE_MIP },
      'user',
      'EINVAL',
      /names no IPsec protocol/,
    );
    const dump = clone(sample('DUMP with a filter').msg);
    (dump.extensions[0] as { splen: number }).splen = 129;
    expectRefused(dump, 'user', 'EINVAL', /sadb_x_filter_splen 129/);
    expectRefused(
      { ...clone(sample('X_PROMISC on').msg), satype: 2 },
      'user',
      'EINVAL',
      /must be 0 \(off\) or 1/,
    );
  });

  it('SPDADD/SPDUPDATE/SPDSETIDX: policy type, direction and every template (parse_ipsecrequests)', () => {
    const spd = sample('X_SPDADD with tunnel templates of both families').msg;
    expectRefused(without(spd, K.SADB_X_EXT_POLICY), 'user', 'EINVAL', /needs SADB_X_EXT_POLICY/);
    const edit = (f: (p: PolicyExt) => void): PfkeyMessage => {
      const m = clone(spd);
      f(policyOf(m));
      return m;
    };
    expectRefused(
      edit((p) => {
        p.policyType = K.IPSEC_POLICY_ENTRUST;
      }),
      'user',
      'EINVAL',
      /above IPSEC_POLICY_IPSEC/,
    );
    expectRefused(
      edit((p) => {
        p.dir = K.IPSEC_DIR_ANY;
      }),
      'user',
      'EINVAL',
      /not INBOUND, OUTBOUND or FWD/,
    );
    expectRefused(
      edit((p) => {
        p.dir = K.IPSEC_DIR_MAX;
      }),
      'user',
      'EINVAL',
      /not INBOUND, OUTBOUND or FWD/,
    );
    const t = (p: PolicyExt, i: number): IpsecRequest => p.requests[i] as IpsecRequest;
    expectRefused(
      edit((p) => {
        t(p, 2).mode = K.IPSEC_MODE_ANY;
      }),
      'user',
      'EINVAL',
      /must not be IPSEC_MODE_ANY/,
    );
    expectRefused(
      edit((p) => {
        t(p, 2).mode = K.IPSEC_MODE_IPTFS;
      }),
      'user',
      'EINVAL',
      /mode 4 has no XFRM mode/,
    );
    expectRefused(
      edit((p) => {
        t(p, 0).proto = K.IPPROTO_UDP;
      }),
      'user',
      'EINVAL',
      /proto 17 is not ESP, AH, COMP/,
    );
    expectRefused(
      edit((p) => {
        t(p, 0).level = K.IPSEC_LEVEL_USE;
      }),
      'user',
      'EINVAL',
      /IPSEC_LEVEL_USE is refused for outbound tunnel/,
    );
    const useIn = edit((p) => {
      p.dir = K.IPSEC_DIR_INBOUND;
      t(p, 0).level = K.IPSEC_LEVEL_USE;
    });
    expect(judge(useIn, 'user')).toBeUndefined();
    expectRefused(
      edit((p) => {
        delete t(p, 0).src;
        delete t(p, 0).dst;
      }),
      'user',
      'EINVAL',
      /tunnel-mode sadb_x_ipsecrequest needs its source\/destination sockaddr pair/,
    );
    const seven = edit((p) => {
      while (p.requests.length < 7)
        p.requests.push({ proto: K.IPPROTO_ESP, mode: K.IPSEC_MODE_TRANSPORT, level: 2, reqid: 0 });
    });
    const e = expectRefused(seven, 'user', 'ELOOP', /XFRM_MAX_DEPTH/);
    // The seventh request: 16 (msg) + 2 x 40 (addresses) + 16 (policy) + 72 + 48 + 16 + 3 x 16.
    expect(e.offset).toBe(16 + 80 + 16 + 72 + 48 + 16 + 3 * 16);
    // Non-IPSEC policies ignore the requests, as Linux does.
    expect(
      judge(
        edit((p) => {
          p.policyType = K.IPSEC_POLICY_NONE;
        }),
        'user',
      ),
    ).toBeUndefined();
  });

  it('SPDDELETE needs SRC/DST and POLICY with a direction; SPDGET/SPDDELETE2 an id naming a direction', () => {
    expectRefused(
      without(sample('X_SPDDELETE').msg, K.SADB_X_EXT_POLICY),
      'user',
      'EINVAL',
      /needs SADB_X_EXT_POLICY/,
    );
    const del = clone(sample('X_SPDDELETE').msg);
    policyOf(del).dir = 0;
    expectRefused(del, 'user', 'EINVAL', /sadb_x_policy_dir 0/);
    const get = clone(sample('X_SPDGET by id').msg);
    policyOf(get).id = 11; // 11 & 7 = 3: no XFRM direction
    expectRefused(get, 'user', 'EINVAL', /encodes no direction/);
    expectRefused(
      without(sample('X_SPDDELETE2 by id').msg, K.SADB_X_EXT_POLICY),
      'user',
      'EINVAL',
      /SADB_X_SPDDELETE2 needs/,
    );
  });

  it('SADB_X_EXT_REF: SPDADD/SPDUPDATE from user space; also ACQUIRE, SPDGET and SPDDUMP from the kernel', () => {
    const ref = { type: K.SADB_X_EXT_REF, refType: 1, refTypeExt: 0, mpi: 42n } as const;
    const get = clone(sample('GET').msg);
    get.extensions.push(ref);
    for (const origin of ['user', 'kernel', 'any'] as const) {
      expectRefused(get, origin, 'EINVAL', /SADB_X_EXT_REF from (user space|the kernel) belongs only in/);
    }
    // The kernel reports a policy's reference in every answer that describes the policy.
    const dump = clone(sample('X_SPDDUMP reply with a refcount in sadb_msg_reserved').msg);
    dump.extensions.push(ref);
    expect(judge(dump, 'kernel')).toBeUndefined();
    expect(judge(dump, 'any')).toBeUndefined();
    const getReply = sample("X_SPDGET reply with the policy's SADB_X_EXT_REF").msg;
    expect(judge(getReply, 'kernel')).toBeUndefined();
    for (const type of [K.SADB_X_SPDADD, K.SADB_X_SPDUPDATE])
      expect(judge({ ...clone(getReply), type }, 'kernel')).toBeUndefined();
    // A request for a policy carries no reference.
    const getRequest = clone(sample('X_SPDGET by id').msg);
    getRequest.extensions.push(ref);
    expectRefused(
      getRequest,
      'user',
      'EINVAL',
      /from user space belongs only in SADB_ACQUIRE, SADB_X_SPDADD/,
    );
    expectRefused(getRequest, 'any', 'EINVAL', /from user space belongs only in/);
    // Deletions are not among the kernel's places.
    expectRefused(
      { ...clone(getReply), type: K.SADB_X_SPDDELETE },
      'kernel',
      'EINVAL',
      /from the kernel belongs only in .*SADB_X_SPDDUMP, not SADB_X_SPDDELETE$/,
    );
  });

  it("SADB_X_EXT_SA_REPLAY (this project's) only in messages that describe one SA, once", () => {
    const add = sample(
      "ADD of a ChaCha20-Poly1305 SA with ESN and a 1024-packet replay window (this project's numbers)",
    ).msg;
    expect(judge(add, 'user')).toBeUndefined();
    expect(judge({ ...clone(add), type: K.SADB_UPDATE }, 'user')).toBeUndefined();
    const replay = { type: K.SADB_X_EXT_SA_REPLAY, replay: 2048 } as const;
    const del = clone(sample('DELETE').msg);
    del.extensions.push(replay);
    expectRefused(
      del,
      'user',
      'EINVAL',
      /SADB_X_EXT_SA_REPLAY from user space belongs only in SADB_ADD, SADB_UPDATE/,
    );
    expect(judge(del, 'kernel')).toBeUndefined(); // the kernel's DELETE notification describes the SA
    const flush = clone(sample('X_SPDFLUSH').msg);
    flush.extensions.push(replay);
    for (const origin of ['user', 'kernel', 'any'] as const)
      expectRefused(flush, origin, 'EINVAL', /SADB_X_EXT_SA_REPLAY from/);
    const twice = clone(add);
    twice.extensions.push(replay);
    expect(() => encode(twice)).toThrow(/duplicate SADB_X_EXT_SA_REPLAY/);
    const bytes = encode(twice, { validate: false });
    expect(() => decode(bytes)).toThrow(/duplicate SADB_X_EXT_SA_REPLAY/);
  });

  it("this project's numbers decode as typed values with names", () => {
    const add = sample(
      "ADD of a ChaCha20-Poly1305 SA with ESN and a 1024-packet replay window (this project's numbers)",
    ).msg;
    const back = decode(encode(add), { origin: 'user' });
    const sa = back.extensions.find((e) => e.type === K.SADB_EXT_SA) as SaExt;
    expect(sa.encrypt).toBe(250);
    expect(sa.flags & K.SADB_X_SAFLAGS_ESN).toBe(0x400);
    expect(back.extensions.at(-1)).toEqual({ type: 33, replay: 1024 });
    const json = toJson(back);
    expect(json.extensions?.[0]).toMatchObject({ type: 'SA', encrypt: 'X_CHACHA20_POLY1305', flags: 0x400 });
    expect(json.extensions?.at(-1)).toEqual({ type: 'X_SA_REPLAY', replay: 1024 });
    expect(
      fromJson({
        type: 'GET',
        satype: 'ESP',
        extensions: [{ type: 'SADB_X_EXT_SA_REPLAY', replay: '0x1000' }],
      }).extensions,
    ).toEqual([{ type: K.SADB_X_EXT_SA_REPLAY, replay: 4096 }]);
    // An extension of a known type can no longer pass as unknown bytes.
    expect(() =>
      encode({
        type: K.SADB_X_SPDFLUSH,
        extensions: [{ type: K.UNKNOWN_EXTENSION, exttype: 33, data: new Uint8Array(4) }],
      }),
    ).toThrow(/reserved or known/);
  });
});

describe('SADB_X_MIGRATE rules (af_key.c pfkey_migrate, reference §2.1-§2.4)', () => {
  const mig = sample('X_MIGRATE over IPv6 with KMADDRESS').msg;
  const edit = (f: (p: PolicyExt) => void): PfkeyMessage => {
    const m = clone(mig);
    f(policyOf(m));
    return m;
  };
  const rq = (p: PolicyExt, i: number): IpsecRequest => p.requests[i] as IpsecRequest;

  it('needs the selector and the policy', () => {
    expectRefused(
      without(mig, K.SADB_X_EXT_POLICY),
      'user',
      'EINVAL',
      /SADB_X_MIGRATE needs SADB_X_EXT_POLICY/,
    );
    expectRefused(without(mig, K.SADB_EXT_ADDRESS_SRC), 'user', 'EINVAL', /needs SADB_EXT_ADDRESS_SRC/);
    expect(judge(without(mig, K.SADB_X_EXT_KMADDRESS), 'user')).toBeUndefined();
  });

  it('direction below IPSEC_DIR_MAX, and not ANY from user space (xfrm_migrate)', () => {
    expectRefused(
      edit((p) => {
        p.dir = 4;
      }),
      'kernel',
      'EINVAL',
      /not below IPSEC_DIR_MAX/,
    );
    expectRefused(
      edit((p) => {
        p.dir = 0;
      }),
      'user',
      'EINVAL',
      /IPSEC_DIR_ANY/,
    );
    expect(
      judge(
        edit((p) => {
          p.dir = 0;
        }),
        'kernel',
      ),
    ).toBeUndefined();
  });

  it('old/new pairs: both halves with addresses, same proto, mode and reqid, mappable mode', () => {
    expectRefused(
      edit((p) => {
        p.requests.pop();
      }),
      'user',
      'EINVAL',
      /no new request after it/,
    );
    expectRefused(
      edit((p) => {
        p.requests = [];
      }),
      'user',
      'EINVAL',
      /at least one old\/new/,
    );
    expectRefused(
      edit((p) => {
        rq(p, 1).reqid = 1;
      }),
      'user',
      'EINVAL',
      /differ in proto, mode or reqid/,
    );
    expectRefused(
      edit((p) => {
        rq(p, 1).proto = K.IPPROTO_AH;
      }),
      'user',
      'EINVAL',
      /differ in proto, mode or reqid/,
    );
    expectRefused(
      edit((p) => {
        rq(p, 0).mode = K.IPSEC_MODE_IPTFS;
        rq(p, 1).mode = K.IPSEC_MODE_IPTFS;
      }),
      'user',
      'EINVAL',
      /mode 4 has no XFRM mode/,
    );
    const e = expectRefused(
      edit((p) => {
        delete rq(p, 1).src;
        delete rq(p, 1).dst;
      }),
      'user',
      'EINVAL',
      /new sadb_x_ipsecrequest has no sockaddr pair/,
    );
    // 16 + KMADDRESS 64 + 2 x 40 + policy header 16 + old request 72.
    expect(e.offset).toBe(16 + 64 + 80 + 16 + 72);
  });

  it('at most 6 pairs (XFRM_MAX_DEPTH)', () => {
    const seven = edit((p) => {
      const [o, n] = p.requests as [IpsecRequest, IpsecRequest];
      for (let i = 1; i < 7; i++) p.requests.push({ ...o, reqid: i }, { ...n, reqid: i });
    });
    expectRefused(seven, 'kernel', 'EINVAL', /more than 6 pairs/);
  });

  it('xfrm_migrate: new endpoints not all-zero, no two pairs on the same old endpoints', () => {
    expectRefused(
      edit((p) => {
        (rq(p, 1).dst as { addr: Uint8Array }).addr = new Uint8Array(16);
      }),
      'user',
      'EINVAL',
      /new endpoint address is all zero/,
    );
    const dup = edit((p) => {
      p.requests.push(structuredClone(rq(p, 0)), structuredClone(rq(p, 1)));
    });
    expectRefused(dup, 'user', 'EINVAL', /same old endpoints/);
    expect(judge(dup, 'kernel')).toBeUndefined();
  });
});

describe('kernel -> user space (what af_key.c emits)', () => {
  it('a policy refcount in sadb_msg_reserved only in SPD messages', () => {
    expect(
      judge(sample('X_SPDDUMP reply with a refcount in sadb_msg_reserved').msg, 'kernel'),
    ).toBeUndefined();
    expectRefused({ ...clone(sample('GET').msg), reserved: 3 }, 'kernel', 'EINVAL', /only in SPD messages/);
  });

  it('error replies are header-only copies of any request (pfkey_error)', () => {
    for (const s of SAMPLES) {
      const reply = errorReply(s.msg, 'EINVAL');
      expect(reply.extensions).toEqual([]);
      expect(decode(encode(reply, { origin: 'kernel' }), { origin: 'kernel' })).toEqual(reply);
    }
    expect(errorReply(sample('GET').msg, 600).errno).toBe(22);
    expect(errorReply(sample('GET').msg, 'ENOENT').errno).toBe(2);
  });

  it('what each type must carry', () => {
    expectRefused(
      without(sample('EXPIRE (soft) from the kernel').msg, K.SADB_EXT_LIFETIME_SOFT),
      'kernel',
      'EINVAL',
      /HARD or SADB_EXT_LIFETIME_SOFT/,
    );
    expectRefused(
      without(
        sample('extended ACQUIRE from the kernel with a proposal and SADB_X_EXT_REF').msg,
        K.SADB_X_EXT_POLICY,
      ),
      'kernel',
      'EINVAL',
      /needs SADB_X_EXT_POLICY/,
    );
    expectRefused(
      without(sample('X_NAT_T_NEW_MAPPING from the kernel').msg, K.SADB_X_EXT_NAT_T_DPORT),
      'kernel',
      'EINVAL',
      /needs SADB_X_EXT_NAT_T_DPORT/,
    );
    expectRefused(without(sample('GET').msg, K.SADB_EXT_SA), 'kernel', 'EINVAL', /needs SADB_EXT_SA/);
    // 'any' falls back to the kernel's rules for a type user space cannot send, and reports those.
    expectRefused(
      without(sample('EXPIRE (soft) from the kernel').msg, K.SADB_EXT_SA),
      'any',
      'EINVAL',
      /SADB_EXPIRE needs SADB_EXT_SA/,
    );
  });
});

describe('buffers', () => {
  it('decodes a view into a larger buffer; byte fields alias that buffer', () => {
    const bytes = encode(sample('ADD of an ESP SA with keys, lifetimes, SA2 and NAT-T').msg);
    const big = new Uint8Array(bytes.length + 11);
    big.set(bytes, 3);
    const view = big.subarray(3, 3 + bytes.length);
    const m = decode(view);
    const key = m.extensions.find((e) => e.type === K.SADB_EXT_KEY_ENCRYPT) as { key: Uint8Array };
    expect(key.key.buffer).toBe(big.buffer);
    const at = key.key.byteOffset;
    big[at] = (big[at] as number) ^ 0xff;
    expect(key.key[0]).toBe(big[at]);
    expect(encode(m).buffer.byteLength).toBe(bytes.length);
  });
});
