import { IPPROTO_MH } from '@mip6sec/core';
import {
  getExtension,
  IPPROTO_ESP,
  IPSEC_DIR_OUTBOUND,
  IPSEC_MODE_TUNNEL,
  SADB_ACQUIRE,
  SADB_EXT_PROPOSAL,
  SADB_EXT_SA,
  SADB_GETSPI,
  SADB_SATYPE_ESP,
  SADB_X_EXT_POLICY,
  SADB_X_EXT_REF,
  SADB_X_EXT_SA2,
  SADB_X_SPDDELETE2,
  SADB_X_SPDDUMP,
  SADB_X_SPDGET,
} from '@mip6sec/pfkey-codec';
import { describe, expect, it } from 'vitest';
import {
  addSa,
  COA1,
  HA,
  HOA,
  inbox,
  newKernel,
  register,
  send,
  spdAdd,
  tunnelPolicy,
} from './kit.test-util.js';
import { ipOf } from './pfkey-convert.js';

const packet = { src: HOA, dst: '2001:db8:77::2', proto: 17, payload: new Uint8Array(8) };

describe('ACQUIRE', () => {
  it('a protect policy without an SA raises one ACQUIRE to registered sockets, with addresses, policy and proposal', () => {
    const { kernel } = newKernel();
    const km = kernel.openSocket('km');
    const km2 = kernel.openSocket('km2');
    const bystander = kernel.openSocket('other');
    register(km);
    register(km2, 2);
    inbox(km);
    send(km, tunnelPolicy(COA1, 0x4242));
    const [added] = inbox(km);
    inbox(km2);
    inbox(bystander);
    const index = getExtension(added!, SADB_X_EXT_POLICY)!.id;
    expect(kernel.datapath.output(packet)).toEqual({ kind: 'acquire' });
    const [acq] = inbox(km);
    expect(acq).toMatchObject({ type: SADB_ACQUIRE, satype: SADB_SATYPE_ESP, pid: 0 });
    expect(acq!.seq).toBeGreaterThan(0);
    // Tunnel template: the template's endpoints.
    expect(ipOf(getExtension(acq!, 5)!.address)).toBe(COA1);
    expect(ipOf(getExtension(acq!, 6)!.address)).toBe(HA);
    expect(getExtension(acq!, SADB_X_EXT_POLICY)).toMatchObject({
      dir: IPSEC_DIR_OUTBOUND,
      id: index,
      requests: [],
    });
    const combs = getExtension(acq!, SADB_EXT_PROPOSAL)!.combs;
    expect(combs.some((c) => c.encrypt === 20 && c.auth === 0)).toBe(true);
    expect(combs.some((c) => c.encrypt === 12 && c.auth === 5)).toBe(true);
    expect(getExtension(acq!, SADB_X_EXT_REF)).toBeUndefined();
    // Registered for AH only still counts as registered (BROADCAST_REGISTERED); unregistered sockets get nothing.
    expect(inbox(km2).map((m) => m.seq)).toEqual([acq!.seq]);
    expect(inbox(bystander)).toEqual([]);
  });

  it('the larval entry suppresses repeats until acq_expires, then a new ACQUIRE comes', () => {
    const { kernel, clock } = newKernel({ acqExpires: 15 });
    const km = kernel.openSocket();
    register(km);
    send(km, tunnelPolicy(COA1));
    inbox(km);
    kernel.datapath.output(packet);
    const first = inbox(km)[0]!.seq;
    for (let i = 0; i < 5; i++) expect(kernel.datapath.output(packet)).toEqual({ kind: 'acquire' });
    clock.advance(14_999);
    kernel.datapath.output(packet);
    expect(inbox(km)).toEqual([]);
    clock.advance(1);
    kernel.datapath.output(packet);
    const again = inbox(km);
    expect(again.length).toBe(1);
    expect(again[0]!.seq).not.toBe(first);
    // Configurable at run time like the sysctl.
    kernel.acqExpires = 2;
    clock.advance(15_000);
    kernel.datapath.output(packet);
    expect(inbox(km).length).toBe(1);
  });

  it('GETSPI with the ACQUIRE sequence and UPDATE complete it; traffic then flows', () => {
    const { kernel } = newKernel();
    const km = kernel.openSocket();
    register(km);
    send(km, tunnelPolicy(COA1, 0x42));
    inbox(km);
    kernel.datapath.output(packet);
    const seq = inbox(km)[0]!.seq;
    const ends = addSa({ spi: 1, src: COA1, dst: HA }).extensions.filter((e) => e.type === 5 || e.type === 6);
    send(km, {
      type: SADB_GETSPI,
      satype: SADB_SATYPE_ESP,
      seq,
      extensions: [...ends, { type: SADB_X_EXT_SA2, mode: IPSEC_MODE_TUNNEL, sequence: 0, reqid: 0x42 }],
    });
    const spi = getExtension(inbox(km)[0]!, SADB_EXT_SA)!.spi;
    expect(kernel.datapath.output(packet)).toEqual({ kind: 'acquire' });
    send(km, addSa({ spi, src: COA1, dst: HA, mode: IPSEC_MODE_TUNNEL, reqid: 0x42, update: true, seq }));
    expect(inbox(km)[0]?.errno).toBe(0);
    expect(kernel.acquires.size).toBe(0);
    expect(kernel.datapath.output(packet).kind).toBe('send');
  });

  it('a key manager failure report drops packets until the entry expires', () => {
    const { kernel, clock } = newKernel();
    const km = kernel.openSocket();
    register(km);
    send(km, tunnelPolicy(COA1));
    inbox(km);
    kernel.datapath.output(packet);
    const seq = inbox(km)[0]!.seq;
    send(km, { type: SADB_ACQUIRE, satype: SADB_SATYPE_ESP, errno: 2, seq });
    expect(inbox(km)).toEqual([]);
    expect(kernel.datapath.output(packet)).toEqual({ kind: 'discard', reason: 'acquire-failed' });
    clock.advance(30_000);
    expect(kernel.datapath.output(packet)).toEqual({ kind: 'acquire' });
  });

  it('without a registered key manager nothing is recorded and the packet is dropped', () => {
    const { kernel } = newKernel();
    const s = kernel.openSocket();
    send(s, tunnelPolicy(COA1));
    inbox(s);
    expect(kernel.datapath.output(packet)).toEqual({ kind: 'discard', reason: 'no-key-manager' });
    expect(kernel.acquires.size).toBe(0);
    expect(inbox(s)).toEqual([]);
  });

  it('transport templates acquire for the packet addresses; an MSRD reference rides along (extended ACQUIRE)', () => {
    const { kernel } = newKernel();
    const km = kernel.openSocket();
    register(km);
    const mpi = 0x1122334455667788n;
    send(
      km,
      spdAdd({
        selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
        dir: IPSEC_DIR_OUTBOUND,
        templates: [{ proto: IPPROTO_ESP, mode: 1, reqid: 3 }],
        ref: { mpi, refType: 1, refTypeExt: 2 },
      }),
    );
    const [added] = inbox(km);
    expect(getExtension(added!, SADB_X_EXT_REF)).toMatchObject({ mpi, refType: 1, refTypeExt: 2 });
    expect(kernel.spd.dump()[0]!.ref).toMatchObject({ mpi, refType: 1 });
    kernel.datapath.output({
      src: HOA,
      dst: HA,
      proto: IPPROTO_MH,
      payload: Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 0),
    });
    const [acq] = inbox(km);
    expect(ipOf(getExtension(acq!, 5)!.address)).toBe(HOA);
    expect(getExtension(acq!, SADB_X_EXT_REF)).toMatchObject({ mpi, refType: 1, refTypeExt: 2 });
  });

  it("SPDGET and SPDDUMP answers carry the policy's reference as written; SPDDELETE does not", () => {
    const { kernel } = newKernel();
    const km = kernel.openSocket();
    const mpi = 0x0102030405060708n;
    const spec = {
      selector: { src: HOA, dst: HA, proto: IPPROTO_MH },
      dir: IPSEC_DIR_OUTBOUND,
      templates: [{ proto: IPPROTO_ESP, mode: 1, reqid: 3 }],
    };
    send(km, spdAdd({ ...spec, ref: { mpi, refType: 1, refTypeExt: 2 } }));
    send(km, spdAdd({ ...spec, selector: { ...spec.selector, dst: '2001:db8:aaaa::2' } }));
    const [withRef, without] = inbox(km);
    const index = getExtension(withRef!, SADB_X_EXT_POLICY)!.id;
    const ref = { type: SADB_X_EXT_REF, refType: 1, refTypeExt: 2, mpi };

    send(km, {
      type: SADB_X_SPDGET,
      extensions: [{ ...getExtension(withRef!, SADB_X_EXT_POLICY)!, requests: [] }],
    });
    const [got] = inbox(km);
    expect(got!.type).toBe(SADB_X_SPDGET);
    expect(getExtension(got!, SADB_X_EXT_REF)).toEqual(ref);

    send(km, { type: SADB_X_SPDDUMP });
    const dump = inbox(km);
    expect(
      dump.map((m) => [getExtension(m, SADB_X_EXT_POLICY)!.id, getExtension(m, SADB_X_EXT_REF)]),
    ).toEqual([
      [index, ref],
      [getExtension(without!, SADB_X_EXT_POLICY)!.id, undefined],
    ]);

    send(km, {
      type: SADB_X_SPDDELETE2,
      extensions: [{ ...getExtension(withRef!, SADB_X_EXT_POLICY)!, requests: [] }],
    });
    const [deleted] = inbox(km);
    expect(deleted!.type).toBe(SADB_X_SPDDELETE2);
    expect(getExtension(deleted!, SADB_X_EXT_REF)).toBeUndefined();
  });
});
