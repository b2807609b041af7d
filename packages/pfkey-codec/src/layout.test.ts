/**
 * The codec's layout tables (layout.ts) and constants (constants.ts, errno.ts) against the real headers:
 * test-c/layout.c is compiled with gcc against <linux/pfkeyv2.h>, <linux/ipsec.h> and <netinet/in.h> and
 * prints sizeof/offsetof of every struct and the value of every constant; both sides must agree, and every
 * struct and field of the tables must have been checked.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Available, requireAvailable, runC } from '../../../test-support/compile-c.js';
import * as K from './constants.js';
import { ERRNO } from './errno.js';
import { LAYOUT } from './layout.js';

let run: Available<string>;
beforeAll(() => {
  run = runC(new URL('../test-c/layout.c', import.meta.url));
});

interface Parsed {
  sizes: Map<string, number>;
  fields: Map<string, { offset: number; size: number }>;
  consts: Map<string, number>;
}

function parse(stdout: string): Parsed {
  const p: Parsed = { sizes: new Map(), fields: new Map(), consts: new Map() };
  for (const line of stdout.trim().split('\n')) {
    const [kind, a, b, c, d] = line.split('\t');
    if (kind === 'S') p.sizes.set(a as string, Number(b));
    else if (kind === 'F') p.fields.set(`${a}.${b}`, { offset: Number(c), size: Number(d) });
    else if (kind === 'C') p.consts.set(a as string, Number(b));
  }
  return p;
}

// Constants of constants.ts the C program cannot print: this project's own, and values from kernel sources.
const NOT_IN_HEADERS = new Set([
  // This project's private numbers (constants.ts); layout.c prints them only if a header defines them.
  'SADB_X_EXT_REF', // MSRD reference extension (x-ref.ts)
  'SADB_X_EXT_SA_REPLAY', // wide replay window (x-sa-replay.ts)
  'SADB_X_EALG_CHACHA20_POLY1305',
  'SADB_X_SAFLAGS_ESN',
  'SADB_EXT_MAX', // ours counts this project's types; Linux's is SADB_EXT_MAX_LINUX, compared below
  'UNKNOWN_EXTENSION', // model tag, not a wire value
  'IPSEC_MODE_IPTFS', // Linux 6.14+ ipsec.h only (reference §1.5); this machine's header may predate it
  'XFRM_MAX_DEPTH', // include/net/xfrm.h, kernel-internal
]);

describe('layout and constants vs <linux/pfkeyv2.h> and <linux/ipsec.h> (gcc, x86_64)', () => {
  it('every struct size and field offset/size matches', (ctx) => {
    const p = parse(requireAvailable(run, ctx.skip));
    for (const [name, layout] of Object.entries(LAYOUT)) {
      expect(p.sizes.get(name), `sizeof(struct ${name})`).toBe(layout.size);
      for (const [field, f] of Object.entries(
        layout.fields as Record<string, { offset: number; size: number }>,
      )) {
        expect(p.fields.get(`${name}.${field}`), `${name}.${field}`).toEqual(f);
      }
    }
    // And nothing the C side knows is missing from the tables.
    for (const key of p.fields.keys()) {
      const [s, f] = key.split('.') as [keyof typeof LAYOUT, string];
      expect(LAYOUT[s]?.fields, key).toHaveProperty(f);
    }
  });

  it('every field of a struct is covered, without gaps or overlaps (packed)', () => {
    for (const [name, layout] of Object.entries(LAYOUT)) {
      const fields = Object.values(layout.fields as Record<string, { offset: number; size: number }>).sort(
        (a, b) => a.offset - b.offset,
      );
      let at = 0;
      for (const f of fields) {
        expect(f.offset, `${name} field at ${f.offset}`).toBe(at);
        at += f.size;
      }
      expect(at, `${name} fields add up to sizeof`).toBe(layout.size);
    }
  });

  it('every header constant has the header value', (ctx) => {
    const p = parse(requireAvailable(run, ctx.skip));
    const ours = K as unknown as Record<string, number>;
    for (const [name, value] of p.consts) {
      if (name === 'SADB_EXT_MAX') expect(K.SADB_EXT_MAX_LINUX, 'SADB_EXT_MAX (Linux)').toBe(value);
      else if (name.startsWith('E')) expect(ERRNO[name as keyof typeof ERRNO], name).toBe(value);
      else expect(ours[name], name).toBe(value);
    }
    for (const name of Object.keys(ours)) {
      if (NOT_IN_HEADERS.has(name) || name === 'SADB_EXT_MAX_LINUX') continue;
      expect(p.consts.has(name), `${name} was checked against the header`).toBe(true);
    }
    for (const name of Object.keys(ERRNO))
      expect(p.consts.has(name), `${name} was checked against <errno.h>`).toBe(true);
  });

  it("keeps Linux SADB_EXT_MAX visible while SADB_EXT_MAX counts this project's extension types", () => {
    expect(K.SADB_EXT_MAX_LINUX).toBe(26);
    expect(K.SADB_X_EXT_REF).toBe(32);
    expect(K.SADB_X_EXT_SA_REPLAY).toBe(33);
    expect(K.SADB_EXT_MAX).toBe(K.SADB_X_EXT_SA_REPLAY);
    expect(LAYOUT.sadb_x_ref.size % 8).toBe(0);
    expect(LAYOUT.sadb_x_ref.fields.sadb_ref_mpi.offset % 8).toBe(0);
    expect(LAYOUT.sadb_x_sa_replay.size).toBe(8);
  });

  it("this project's private numbers sit where Linux's rules let a real kernel ignore them", () => {
    // RFC 2407 4.4.4 private range, inside af_key.c's SADB_EALG_MAX check and free in the name table.
    expect(K.SADB_X_EALG_CHACHA20_POLY1305).toBeGreaterThanOrEqual(249);
    expect(K.SADB_X_EALG_CHACHA20_POLY1305).toBeLessThanOrEqual(K.SADB_EALG_MAX);
    const ours = K as unknown as Record<string, number>;
    const ealgs = Object.keys(ours).filter((n) => /^SADB_(X_)?EALG_/.test(n) && !n.endsWith('_MAX'));
    expect(ealgs.filter((n) => ours[n] === 250)).toEqual(['SADB_X_EALG_CHACHA20_POLY1305']);
    // The ESN bit is none of the sadb_sa_flags Linux reads.
    for (const f of [
      K.SADB_SAFLAGS_PFS,
      K.SADB_SAFLAGS_NOPMTUDISC,
      K.SADB_SAFLAGS_DECAP_DSCP,
      K.SADB_SAFLAGS_NOECN,
    ])
      expect(f & K.SADB_X_SAFLAGS_ESN).toBe(0);
    expect(K.SADB_X_EXT_SA_REPLAY).toBeGreaterThan(K.SADB_EXT_MAX_LINUX);
  });
});
