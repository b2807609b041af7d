import {
  decode,
  ERRNO,
  encode,
  getExtension,
  IPSEC_DIR_OUTBOUND,
  type PfkeyMessage,
  SADB_ADD,
  SADB_DELETE,
  SADB_EXT_SA,
  SADB_EXT_SUPPORTED_AUTH,
  SADB_EXT_SUPPORTED_ENCRYPT,
  SADB_GET,
  SADB_REGISTER,
  SADB_SATYPE_AH,
  SADB_SATYPE_ESP,
  SADB_X_EALG_CHACHA20_POLY1305,
  SADB_X_PROMISC,
  SADB_X_SPDADD,
  SADB_X_SPDDUMP,
  SADB_X_SPDFLUSH,
} from '@mip6sec/pfkey-codec';
import { describe, expect, it } from 'vitest';
import { addSa, HA, HOA, inbox, newKernel, register, send, transportPolicy } from './kit.test-util.js';

describe('PfkeyKernel sockets and broadcasts (af_key.c classes)', () => {
  it('any number of sockets; REGISTER answers registered sockets with the supported algorithms', () => {
    const { kernel } = newKernel();
    const a = kernel.openSocket('a');
    const b = kernel.openSocket('b');
    const c = kernel.openSocket('c');
    register(b);
    expect(send(a, { type: SADB_REGISTER, satype: SADB_SATYPE_ESP, seq: 7, pid: 99 })).toBe(0);
    const [reply] = inbox(a);
    expect(reply).toMatchObject({ type: SADB_REGISTER, satype: SADB_SATYPE_ESP, seq: 7, pid: 99, errno: 0 });
    const enc = getExtension(reply!, SADB_EXT_SUPPORTED_ENCRYPT)!.algs.map((x) => x.id);
    expect(enc).toEqual(expect.arrayContaining([11, 12, 20, SADB_X_EALG_CHACHA20_POLY1305]));
    expect(getExtension(reply!, SADB_EXT_SUPPORTED_AUTH)!.algs.map((x) => x.id)).toEqual(
      expect.arrayContaining([3, 5, 6, 7, 9]),
    );
    // BROADCAST_REGISTERED: b (registered) gets it, c (not registered) does not.
    expect(inbox(b).map((m) => m.type)).toEqual([SADB_REGISTER]);
    expect(inbox(c)).toEqual([]);
    // Registering twice for one type: EEXIST as an error reply.
    send(a, { type: SADB_REGISTER, satype: SADB_SATYPE_ESP, seq: 8 });
    expect(inbox(a)).toEqual([expect.objectContaining({ type: SADB_REGISTER, errno: ERRNO.EEXIST, seq: 8 })]);
    send(a, { type: SADB_REGISTER, satype: SADB_SATYPE_AH });
    expect(inbox(a)[0]?.errno).toBe(0);
    expect(a.registered).toBe((1 << SADB_SATYPE_ESP) | (1 << SADB_SATYPE_AH));
  });

  it('SA and SPD changes go to every socket with the writer sequence and pid; GET only to the writer', () => {
    const { kernel } = newKernel();
    const [a, b, c] = [kernel.openSocket('a'), kernel.openSocket('b'), kernel.openSocket('c')];
    register(a);
    send(a, { ...addSa({ spi: 0x1000, src: HOA, dst: HA }), seq: 3, pid: 11 });
    for (const s of [a, b, c])
      expect(inbox(s)).toEqual([expect.objectContaining({ type: SADB_ADD, seq: 3, pid: 11 })]);
    send(b, { ...transportPolicy(HOA, HA), seq: 4, pid: 12 });
    for (const s of [a, b, c])
      expect(inbox(s)).toEqual([expect.objectContaining({ type: SADB_X_SPDADD, seq: 4, pid: 12 })]);
    send(c, {
      type: SADB_GET,
      satype: SADB_SATYPE_ESP,
      seq: 5,
      extensions: addSa({ spi: 0x1000, src: HOA, dst: HA }).extensions.filter(
        (e) => e.type === SADB_EXT_SA || e.type === 5 || e.type === 6,
      ),
    });
    expect(inbox(a)).toEqual([]);
    expect(inbox(b)).toEqual([]);
    expect(inbox(c)).toEqual([expect.objectContaining({ type: SADB_GET, seq: 5 })]);
  });

  it('errors: base-header problems fail the write, later ones come back as error replies', () => {
    const { kernel } = newKernel();
    const a = kernel.openSocket();
    const b = kernel.openSocket();
    expect(() => a.write(new Uint8Array(8))).toThrow(expect.objectContaining({ code: 'EMSGSIZE' }));
    const bad = encode({ type: SADB_REGISTER, satype: 3 });
    bad[0] = 1;
    expect(() => a.write(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const reserved = encode({ type: SADB_REGISTER, satype: 3 });
    reserved[6] = 1;
    expect(() => a.write(reserved)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const long = encode({ type: SADB_REGISTER, satype: 3 });
    expect(() => a.write(Uint8Array.of(...long, 0, 0, 0, 0, 0, 0, 0, 0))).toThrow(
      expect.objectContaining({ code: 'EMSGSIZE' }),
    );
    expect(inbox(a)).toEqual([]);
    // DELETE of a missing SA: ESRCH, to the writer only, header only.
    expect(
      send(a, {
        type: SADB_DELETE,
        satype: SADB_SATYPE_ESP,
        seq: 9,
        pid: 1,
        extensions: addSa({ spi: 5, src: HOA, dst: HA }).extensions.filter((e) => [1, 5, 6].includes(e.type)),
      }),
    ).toBe(0);
    expect(inbox(a)).toEqual([
      {
        type: SADB_DELETE,
        errno: ERRNO.ESRCH,
        satype: SADB_SATYPE_ESP,
        reserved: 0,
        seq: 9,
        pid: 1,
        extensions: [],
      },
    ]);
    expect(inbox(b)).toEqual([]);
    // A type without a handler: EOPNOTSUPP reply.
    a.write(encode({ type: 8, satype: 3 }, { validate: false }));
    expect(inbox(a)[0]?.errno).toBe(ERRNO.EOPNOTSUPP);
  });

  it('dumps count down to sequence 0; an empty SPD answers ENOENT; flush answers the writer then tells all', () => {
    const { kernel } = newKernel();
    const a = kernel.openSocket();
    const b = kernel.openSocket();
    send(a, { type: SADB_X_SPDDUMP, seq: 1 });
    expect(inbox(a)[0]?.errno).toBe(ERRNO.ENOENT);
    send(a, transportPolicy(HOA, HA));
    send(a, transportPolicy(HA, HOA, 0x10, 1));
    send(a, transportPolicy(HOA, '2001:db8::9'));
    inbox(a);
    inbox(b);
    send(a, { type: SADB_X_SPDDUMP, seq: 2, pid: 3 });
    expect(inbox(a).map((m) => [m.type, m.seq, m.pid])).toEqual([
      [SADB_X_SPDDUMP, 2, 3],
      [SADB_X_SPDDUMP, 1, 3],
      [SADB_X_SPDDUMP, 0, 3],
    ]);
    expect(inbox(b)).toEqual([]);
    send(a, { type: SADB_X_SPDFLUSH, seq: 4 });
    expect(inbox(a).map((m) => m.type)).toEqual([SADB_X_SPDFLUSH, SADB_X_SPDFLUSH]);
    expect(inbox(b).map((m) => m.type)).toEqual([SADB_X_SPDFLUSH]);
    send(a, { type: SADB_X_SPDFLUSH, seq: 5 });
    expect(inbox(a).map((m) => m.type)).toEqual([SADB_X_SPDFLUSH]);
    expect(inbox(b)).toEqual([]);
  });

  it('a promiscuous socket sees requests and every broadcast', () => {
    const { kernel } = newKernel();
    const a = kernel.openSocket();
    const spy = kernel.openSocket();
    send(spy, { type: SADB_X_PROMISC, satype: 1 });
    expect(spy.promisc).toBe(true);
    inbox(spy);
    inbox(a);
    send(a, { ...transportPolicy(HOA, HA), seq: 1 });
    // The request itself, then the notification twice: once as promiscuous, once as a recipient of a
    // message for all ("you receive it twice", af_key.c pfkey_broadcast).
    expect(inbox(spy).map((m) => m.type)).toEqual([SADB_X_SPDADD, SADB_X_SPDADD, SADB_X_SPDADD]);
    expect(inbox(a).map((m) => m.type)).toEqual([SADB_X_SPDADD]);
    expect(IPSEC_DIR_OUTBOUND).toBe(2);
  });

  it('a dump larger than the receive buffer arrives whole as its reader drains the queue', () => {
    const { kernel } = newKernel({ rcvbuf: 2000 });
    const a = kernel.openSocket();
    for (let i = 0; i < 40; i++) {
      send(a, transportPolicy(HOA, `2001:db8::${i + 1}`));
      inbox(a);
    }
    send(a, { type: SADB_X_SPDDUMP, satype: 0, seq: 7 });
    // The kernel stops at two thirds of the buffer and goes on as the reader makes room.
    expect(a.pending).toBeGreaterThan(0);
    expect(a.pending).toBeLessThan(40);
    // One dump at a time per socket.
    send(a, { type: SADB_X_SPDDUMP, satype: 0, seq: 8 });
    const got: PfkeyMessage[] = [];
    for (let b = a.read(); b; b = a.read()) got.push(decode(b, { origin: 'kernel' }));
    const dump = got.filter((m) => m.type === SADB_X_SPDDUMP && m.errno === 0);
    expect(dump).toHaveLength(40);
    expect(dump.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
    expect(got.filter((m) => m.errno !== 0).map((m) => [m.seq, m.errno])).toEqual([[8, ERRNO.EBUSY]]);
    expect(a.dropped).toBe(0);
    // Done: the next dump starts afresh.
    send(a, { type: SADB_X_SPDDUMP, satype: 0, seq: 9 });
    expect(a.pending).toBeGreaterThan(0);
  });

  it('a full receive queue drops messages for that socket only', () => {
    const { kernel } = newKernel({ rcvbuf: 400 });
    const a = kernel.openSocket();
    const slow = kernel.openSocket();
    for (let i = 0; i < 10; i++) {
      send(a, transportPolicy(HOA, `2001:db8::${i + 1}`));
      inbox(a);
    }
    expect(slow.dropped).toBeGreaterThan(0);
    expect(slow.pending).toBeLessThan(10);
    expect(kernel.spd.size).toBe(10);
  });
});

describe('bad input never crashes the kernel or leaves partial state (property)', () => {
  it('mutated messages: the write fails cleanly or is answered; an error reply means nothing changed', async () => {
    const fc = (await import('fast-check')).default;
    const { buildMigrate, IPPROTO_ESP, IPSEC_MODE_TUNNEL } = await import('@mip6sec/pfkey-codec');
    const { COA1, COA2 } = await import('./kit.test-util.js');
    const seeds = [
      encode(transportPolicy(HOA, HA)),
      encode(addSa({ spi: 0x900, src: HOA, dst: HA })),
      encode(addSa({ spi: 0x100, src: HOA, dst: HA, update: true })),
      encode(
        buildMigrate({
          selector: { src: HOA, dst: HA },
          dir: IPSEC_DIR_OUTBOUND,
          kmaddress: { local: COA2, remote: HA },
          bundles: [
            {
              proto: IPPROTO_ESP,
              mode: IPSEC_MODE_TUNNEL,
              reqid: 0,
              old: { src: COA1, dst: HA },
              new: { src: COA2, dst: HA },
            },
          ],
        }),
      ),
      encode({ type: SADB_REGISTER, satype: SADB_SATYPE_ESP }),
    ];
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: -16, max: 16 }),
        (which, flips, cut) => {
          const { kernel } = newKernel();
          const s = kernel.openSocket();
          send(s, transportPolicy(HOA, HA));
          send(s, addSa({ spi: 0x100, src: HOA, dst: HA }));
          inbox(s);
          const bytes = seeds[which]!.slice();
          for (const [at, v] of flips) bytes[16 + (at % Math.max(1, bytes.length - 16))] = v;
          const msg = cut < 0 ? bytes.subarray(0, Math.max(0, bytes.length + cut * 8)) : bytes;
          const before = kernel.snapshot();
          try {
            s.write(msg);
          } catch (e) {
            expect(['EMSGSIZE', 'EINVAL']).toContain((e as { code: string }).code);
            expect(kernel.snapshot()).toEqual(before);
            return;
          }
          const replies = inbox(s);
          if (replies.some((r) => r.errno !== 0)) expect(kernel.snapshot()).toEqual(before);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random bytes into the datapath come back as drops', async () => {
    const fc = (await import('fast-check')).default;
    const { kernel } = newKernel();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0x45, 0x60), (b, first) => {
        const bytes = Uint8Array.of(first, ...b);
        const r = kernel.datapath.input(bytes);
        expect(['drop', 'deliver', 'forward']).toContain(r.kind);
      }),
      { numRuns: 500 },
    );
  });
});
