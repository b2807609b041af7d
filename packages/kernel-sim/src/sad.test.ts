import {
  ERRNO,
  getExtension,
  SADB_ADD,
  SADB_DUMP,
  SADB_EXPIRE,
  SADB_EXT_ADDRESS_DST,
  SADB_EXT_ADDRESS_SRC,
  SADB_EXT_LIFETIME_HARD,
  SADB_EXT_LIFETIME_SOFT,
  SADB_EXT_SA,
  SADB_EXT_SPIRANGE,
  SADB_FLUSH,
  SADB_GET,
  SADB_GETSPI,
  SADB_SASTATE_DEAD,
  SADB_SASTATE_DYING,
  SADB_SASTATE_LARVAL,
  SADB_SASTATE_MATURE,
  SADB_SATYPE_ESP,
  SADB_UPDATE,
} from '@mip6sec/pfkey-codec';
import { describe, expect, it } from 'vitest';
import { addSa, HA, HOA, inbox, newKernel, register, send, transportPolicy } from './kit.test-util.js';
import { newSaRecord, Sad } from './sad.js';

const ends = (src = HOA, dst = HA) =>
  addSa({ spi: 1, src, dst }).extensions.filter(
    (e) => e.type === SADB_EXT_ADDRESS_SRC || e.type === SADB_EXT_ADDRESS_DST,
  );

function getSpi(
  sock: ReturnType<ReturnType<typeof newKernel>['kernel']['openSocket']>,
  seq = 1,
  range?: [number, number],
) {
  send(sock, {
    type: SADB_GETSPI,
    satype: SADB_SATYPE_ESP,
    seq,
    extensions: [
      ...ends(),
      ...(range ? [{ type: SADB_EXT_SPIRANGE, min: range[0], max: range[1] } as const] : []),
    ],
  });
  return inbox(sock);
}

describe('SAD state machine through PF_KEY', () => {
  it('GETSPI makes a larval SA in the range; UPDATE makes it mature; ADD of a taken SPI is EEXIST', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    const [reply] = getSpi(s, 5, [0x5000, 0x5fff]);
    expect(reply).toMatchObject({ type: SADB_GETSPI, errno: 0, seq: 5 });
    const sa = getExtension(reply!, SADB_EXT_SA)!;
    expect(sa.spi).toBeGreaterThanOrEqual(0x5000);
    expect(sa.spi).toBeLessThanOrEqual(0x5fff);
    expect(sa.state).toBe(SADB_SASTATE_LARVAL);
    // A repeated GETSPI of the same exchange returns the same SPI.
    expect(getExtension(getSpi(s, 5, [0x5000, 0x5fff])[0]!, SADB_EXT_SA)!.spi).toBe(sa.spi);
    expect(kernel.sad.size).toBe(1);
    // Inbound lookups ignore a larval SA.
    expect(kernel.sad.findOutbound('esp', 'transport', 0, HOA, HA)).toBeUndefined();

    send(s, addSa({ spi: sa.spi, src: HOA, dst: HA }));
    expect(inbox(s)[0]?.errno).toBe(ERRNO.EEXIST);
    send(s, addSa({ spi: sa.spi, src: HOA, dst: HA, update: true, seq: 5 }));
    const [upd] = inbox(s);
    expect(upd).toMatchObject({ type: SADB_UPDATE, errno: 0 });
    expect(getExtension(upd!, SADB_EXT_SA)!.state).toBe(SADB_SASTATE_MATURE);
    expect(kernel.sad.get({ dst: HA, spi: sa.spi, proto: 'esp' })!.state).toBe('mature');
    // UPDATE of an SPI nobody has: ESRCH.
    send(s, addSa({ spi: 0x77, src: HOA, dst: HA, update: true }));
    expect(inbox(s)[0]?.errno).toBe(ERRNO.ESRCH);
  });

  it('a single-SPI range that is taken fails with ENOENT', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    send(s, addSa({ spi: 0x4242, src: HOA, dst: HA }));
    inbox(s);
    expect(getSpi(s, 1, [0x4242, 0x4242])[0]?.errno).toBe(ERRNO.ENOENT);
    expect(getExtension(getSpi(s, 2, [0x4243, 0x4243])[0]!, SADB_EXT_SA)!.spi).toBe(0x4243);
  });

  it('a larval SA dies after acq_expires with a hard EXPIRE to registered sockets', () => {
    const { kernel, clock } = newKernel({ acqExpires: 10 });
    const s = kernel.openSocket();
    const km = kernel.openSocket();
    register(km);
    getSpi(s);
    inbox(km);
    clock.advance(9_999);
    expect(kernel.sad.size).toBe(1);
    clock.advance(1);
    expect(kernel.sad.size).toBe(0);
    const [exp] = inbox(km);
    expect(exp).toMatchObject({ type: SADB_EXPIRE, seq: 0, pid: 0 });
    expect(getExtension(exp!, SADB_EXT_LIFETIME_HARD)).toBeDefined();
    expect(inbox(s)).toEqual([]);
  });

  it('soft then hard lifetime on time: dying with a soft EXPIRE, then deleted with a hard one', () => {
    const { kernel, clock } = newKernel();
    const s = kernel.openSocket();
    const km = kernel.openSocket();
    const other = kernel.openSocket();
    register(km);
    send(s, addSa({ spi: 0x100, src: HOA, dst: HA, soft: { addtime: 60n }, hard: { addtime: 90n } }));
    inbox(s);
    inbox(km);
    inbox(other);
    clock.advance(59_000);
    expect(inbox(km)).toEqual([]);
    clock.advance(1_000);
    const [soft] = inbox(km);
    expect(soft?.type).toBe(SADB_EXPIRE);
    expect(getExtension(soft!, SADB_EXT_SA)!.state).toBe(SADB_SASTATE_DYING);
    expect(getExtension(soft!, SADB_EXT_LIFETIME_SOFT)!.addtime).toBe(60n);
    expect(kernel.sad.get({ dst: HA, spi: 0x100, proto: 'esp' })!.state).toBe('dying');
    clock.advance(30_000);
    const [hard] = inbox(km);
    expect(getExtension(hard!, SADB_EXT_SA)!.state).toBe(SADB_SASTATE_DEAD);
    expect(getExtension(hard!, SADB_EXT_LIFETIME_HARD)).toBeDefined();
    expect(kernel.sad.size).toBe(0);
    // EXPIRE goes to registered sockets only.
    expect(inbox(other)).toEqual([]);
    expect(inbox(s)).toEqual([]);
  });

  it('soft and hard limits on packets and bytes, counted per packet as Linux does', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    const km = kernel.openSocket();
    register(km);
    send(s, transportPolicy(HOA, HA));
    send(
      s,
      addSa({
        spi: 0x100,
        src: HOA,
        dst: HA,
        reqid: 0x10,
        soft: { allocations: 2 },
        hard: { allocations: 4 },
      }),
    );
    inbox(km);
    const out = () => kernel.datapath.output({ src: HOA, dst: HA, proto: 17, payload: new Uint8Array(8) });
    expect(out().kind).toBe('send');
    expect(out().kind).toBe('send');
    expect(inbox(km)).toEqual([]);
    // The third packet finds the soft limit reached: it passes, the SA starts dying.
    expect(out().kind).toBe('send');
    expect(inbox(km).map((m) => getExtension(m, SADB_EXT_SA)!.state)).toEqual([SADB_SASTATE_DYING]);
    expect(out().kind).toBe('send');
    // The fifth finds the hard limit reached: refused, SA expired and removed.
    expect(out()).toEqual({ kind: 'discard', reason: 'sa-expired' });
    expect(inbox(km).map((m) => m.type)).toEqual([SADB_EXPIRE]);
    expect(kernel.sad.size).toBe(0);

    send(
      s,
      addSa({ spi: 0x200, src: HOA, dst: HA, reqid: 0x10, soft: { bytes: 10n }, hard: { bytes: 20n } }),
    );
    inbox(km);
    expect(out().kind).toBe('send'); // 8 bytes
    expect(out().kind).toBe('send'); // 16, soft crossed at the next check
    expect(out().kind).toBe('send');
    expect(out()).toEqual({ kind: 'discard', reason: 'sa-expired' });
    expect(inbox(km).length).toBe(2);
  });

  it('GET with keys to the writer; DUMP lists every SA, satype-filtered; FLUSH empties', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    send(s, addSa({ spi: 0x100, src: HOA, dst: HA }));
    send(s, addSa({ spi: 0x101, src: HA, dst: HOA }));
    inbox(s);
    send(s, {
      type: SADB_GET,
      satype: SADB_SATYPE_ESP,
      extensions: addSa({ spi: 0x101, src: HA, dst: HOA }).extensions.filter((e) =>
        [1, 5, 6].includes(e.type),
      ),
    });
    const [got] = inbox(s);
    expect(got?.type).toBe(SADB_GET);
    expect(got?.extensions.some((e) => e.type === 9)).toBe(true);
    send(s, { type: SADB_DUMP, satype: SADB_SATYPE_ESP, seq: 1 });
    expect(inbox(s).map((m) => [m.type, getExtension(m, SADB_EXT_SA)!.spi, m.seq])).toEqual([
      [SADB_DUMP, 0x100, 1],
      [SADB_DUMP, 0x101, 0],
    ]);
    send(s, { type: SADB_DUMP, satype: 2 });
    expect(inbox(s)[0]?.errno).toBe(ERRNO.ENOENT);
    send(s, { type: SADB_FLUSH, satype: 0 });
    expect(inbox(s).map((m) => m.type)).toEqual([SADB_FLUSH, SADB_FLUSH]);
    expect(kernel.sad.size).toBe(0);
    expect(SADB_ADD).toBe(3);
  });

  it('refuses unknown algorithms (ENOSYS) and wrong key sizes (EINVAL)', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    const m = addSa({ spi: 0x100, src: HOA, dst: HA });
    const sa = getExtension(m, SADB_EXT_SA)!;
    send(s, { ...m, extensions: m.extensions.map((e) => (e === sa ? { ...sa, encrypt: 3 } : e)) });
    expect(inbox(s)[0]?.errno).toBe(ERRNO.ENOSYS);
    send(s, {
      ...m,
      extensions: m.extensions.map((e) => (e.type === 9 ? { ...e, bits: 128, key: new Uint8Array(16) } : e)),
    });
    expect(inbox(s)[0]?.errno).toBe(ERRNO.EINVAL);
    expect(kernel.sad.size).toBe(0);
  });
});

describe('Sad indexes', () => {
  const rec = (
    spi: number,
    src: string,
    dst: string,
    proto: 'esp' | 'ah' = 'esp',
    mode: 'transport' | 'tunnel' = 'transport',
  ) => newSaRecord({ src, dst, spi, proto }, { mode, reqid: 0 }, 0);

  it('finds SAs that share an SPI by destination and protocol, through inserts, moves and removals', () => {
    const sad = new Sad();
    const a = rec(0x100, HOA, HA);
    const b = rec(0x100, HA, HOA);
    const c = rec(0x100, HOA, HA, 'ah');
    const d = rec(0x200, HOA, HA);
    for (const r of [a, b, c, d]) sad.insert(r);
    expect(sad.get({ dst: HA, spi: 0x100, proto: 'esp' })).toBe(a);
    expect(sad.getInbound(HOA, 0x100, 'esp')).toBe(b);
    expect(sad.getInbound(HA, 0x100, 'ah')).toBe(c);
    expect(sad.getInbound(HA, 0x200, 'esp')).toBe(d);
    expect(sad.getInbound(HA, 0x300, 'esp')).toBeUndefined();
    expect(sad.getInbound('2001:db8::99', 0x100, 'esp')).toBeUndefined();
    sad.move([{ sa: a, src: HOA, dst: '2001:db8::99' }]);
    expect(sad.getInbound(HA, 0x100, 'esp')).toBeUndefined();
    expect(sad.getInbound('2001:db8::99', 0x100, 'esp')).toBe(a);
    expect(sad.findOutbound('esp', 'transport', 0, HOA, '2001:db8::99')).toBe(a);
    expect(sad.findOutbound('esp', 'transport', 0, HOA, HA)).toBe(d);
    expect(sad.remove(b)).toBe(true);
    expect(sad.getInbound(HOA, 0x100, 'esp')).toBeUndefined();
    expect(sad.getInbound(HA, 0x100, 'ah')).toBe(c);
    expect(sad.remove(c)).toBe(true);
    expect(sad.getInbound('2001:db8::99', 0x100, 'esp')).toBe(a);
    expect(sad.remove(a)).toBe(true);
    expect(sad.getInbound('2001:db8::99', 0x100, 'esp')).toBeUndefined();
    expect(sad.size).toBe(1);
  });

  it('outbound selection filters protocol and mode, and prefers mature, then the newest', () => {
    const sad = new Sad();
    const old = rec(1, HOA, HA);
    const ah = rec(2, HOA, HA, 'ah');
    const tunnel = rec(3, HOA, HA, 'esp', 'tunnel');
    const newer = rec(4, HOA, HA);
    for (const r of [old, ah, tunnel, newer]) sad.insert(r);
    expect(sad.findOutbound('esp', 'transport', 0, HOA, HA)).toBe(newer);
    newer.state = 'dying';
    expect(sad.findOutbound('esp', 'transport', 0, HOA, HA)).toBe(old);
    expect(sad.findOutbound('ah', 'transport', 0, HOA, HA)).toBe(ah);
    expect(sad.findOutbound('esp', 'tunnel', 0, HOA, HA)).toBe(tunnel);
    expect(sad.matching('esp', 'transport', 0, HOA, HA)).toEqual([old, newer]);
    expect(sad.findOutbound('esp', 'transport', 0, HA, HOA)).toBeUndefined();
  });
});
