/**
 * Golden vectors from a real kernel. Source: /work/shared/reference/kernel-interfaces.md Appendix B and
 * kernel-probes/golden_vectors.txt, captured with kernel-probes/golden_vectors.py on Linux 6.18.44 in a
 * throw-away network namespace (policy OUT 2001:db8:aaaa::100/128 -> ::/0, ESP tunnel template
 * 2001:db8:cccc::1 -> 2001:db8:aaaa::1, reqid 0x7e57, moved to 2001:db8:dddd::1).
 *
 * That machine has no CONFIG_NET_KEY, so the captured vectors are the NETLINK_XFRM MIGRATE request and its
 * notification, not PF_KEY bytes. The kernel would have sent the same migration to PF_KEY sockets as the
 * SADB_X_MIGRATE that af_key.c pfkey_send_migrate builds from the same xfrm_selector, xfrm_migrate and
 * xfrm_kmaddress (reference §2.5). This test reads those structures out of the captured bytes (offsets from
 * the Appendix B tables), builds that SADB_X_MIGRATE, and checks it against the reference's worked size
 * (320 bytes, sadb_msg_len 40) and field by field after a decode.
 */
import { describe, expect, it } from 'vitest';
import * as K from './constants.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { formatIp, fromHex, toHex } from './ip-address.js';
import { buildMigrate, readMigrate } from './migrate-message.js';
import type { Sockaddr } from './model.js';

const MIGRATE_REQUEST =
  'cc0000002100050001000000000000000000000000000000000000000000000020010db8aaaa0000000000000000010000000000000000000a00008000000000' +
  '000000000000000000000000010000005000110020010db8aaaa0000000000000000000120010db8cccc0000000000000000000120010db8aaaa000000000000' +
  '0000000120010db8dddd0000000000000000000132010000577e00000a000a002c00130020010db8dddd0000000000000000000120010db8aaaa000000000000' +
  '00000001000000000a000000';

const MIGRATE_NOTIFICATION =
  'd80000002100000000000000000000000000000000000000000000000000000020010db8aaaa0000000000000000010000000000000000000a00008000000000' +
  '000000000000000000000000010000002c00130020010db8dddd0000000000000000000120010db8aaaa00000000000000000001000000000a0000000a001000' +
  '00000000000000005000110020010db8aaaa0000000000000000000120010db8cccc0000000000000000000120010db8aaaa0000000000000000000120010db8' +
  'dddd0000000000000000000132010000577e00000a000a00';

const XFRMA_MIGRATE = 17;
const XFRMA_KMADDRESS = 19;
const XFRM_MODE_TUNNEL = 1;

interface XfrmMigration {
  sel: {
    daddr: Uint8Array;
    saddr: Uint8Array;
    family: number;
    prefixlenD: number;
    prefixlenS: number;
    proto: number;
  };
  dir: number;
  kmaddress: { local: Uint8Array; remote: Uint8Array; reserved: number; family: number };
  entry: Uint8Array;
  m: {
    oldDaddr: Uint8Array;
    oldSaddr: Uint8Array;
    newDaddr: Uint8Array;
    newSaddr: Uint8Array;
    proto: number;
    mode: number;
    reqid: number;
  };
}

/** Reads nlmsghdr + xfrm_userpolicy_id + attributes at the x86_64 offsets of reference §5 / Appendix A. */
function readXfrmMigrate(b: Uint8Array): XfrmMigration {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect(dv.getUint32(0, true)).toBe(b.length); // nlmsg_len
  expect(dv.getUint16(4, true)).toBe(33); // XFRM_MSG_MIGRATE
  const sel = {
    daddr: b.subarray(16, 32),
    saddr: b.subarray(32, 48),
    family: dv.getUint16(56, true),
    prefixlenD: b[58] as number,
    prefixlenS: b[59] as number,
    proto: b[60] as number,
  };
  const dir = b[76] as number;
  let kmaddress: XfrmMigration['kmaddress'] | undefined;
  let entry: Uint8Array | undefined;
  for (let off = 80; off < b.length; off += (dv.getUint16(off, true) + 3) & ~3) {
    const len = dv.getUint16(off, true);
    const type = dv.getUint16(off + 2, true);
    const body = b.subarray(off + 4, off + len);
    if (type === XFRMA_KMADDRESS) {
      kmaddress = {
        local: body.subarray(0, 16),
        remote: body.subarray(16, 32),
        reserved: dv.getUint32(off + 36, true),
        family: dv.getUint16(off + 40, true),
      };
    }
    if (type === XFRMA_MIGRATE) entry = body;
  }
  if (!kmaddress || !entry) throw new Error('vector lacks KMADDRESS or MIGRATE');
  const e = new DataView(entry.buffer, entry.byteOffset, entry.byteLength);
  return {
    sel,
    dir,
    kmaddress,
    entry,
    m: {
      oldDaddr: entry.subarray(0, 16),
      oldSaddr: entry.subarray(16, 32),
      newDaddr: entry.subarray(32, 48),
      newSaddr: entry.subarray(48, 64),
      proto: entry[64] as number,
      mode: entry[65] as number,
      reqid: e.getUint32(68, true),
    },
  };
}

const v6 = (a: Uint8Array): Sockaddr => ({ family: K.AF_INET6, port: 0, flowinfo: 0, addr: a, scopeId: 0 });

/** What af_key.c pfkey_send_migrate makes of an XFRM migration (reference §2.5). */
function pfkeyMigrateFor(x: XfrmMigration): Uint8Array {
  expect(x.sel.family).toBe(K.AF_INET6);
  expect(x.m.mode).toBe(XFRM_MODE_TUNNEL);
  return encode(
    buildMigrate({
      // Linux reports the raw XFRM selector protocol (0 for any), not IPSEC_ULPROTO_ANY, and no ports.
      selector: {
        src: { address: v6(x.sel.saddr), prefixlen: x.sel.prefixlenS },
        dst: { address: v6(x.sel.daddr), prefixlen: x.sel.prefixlenD },
        proto: x.sel.proto,
      },
      dir: x.dir + 1,
      kmaddress: {
        local: v6(x.kmaddress.local),
        remote: v6(x.kmaddress.remote),
        reserved: x.kmaddress.reserved,
      },
      bundles: [
        {
          proto: x.m.proto,
          mode: K.IPSEC_MODE_TUNNEL,
          reqid: x.m.reqid,
          old: { src: v6(x.m.oldSaddr), dst: v6(x.m.oldDaddr) },
          new: { src: v6(x.m.newSaddr), dst: v6(x.m.newDaddr) },
        },
      ],
    }),
    { origin: 'kernel' },
  );
}

describe('Appendix B golden vectors (Linux 6.18.44), as the SADB_X_MIGRATE af_key.c would broadcast', () => {
  const request = readXfrmMigrate(fromHex(MIGRATE_REQUEST) as Uint8Array);
  const notification = readXfrmMigrate(fromHex(MIGRATE_NOTIFICATION) as Uint8Array);

  it('the request and the notification carry the same migration', () => {
    expect(toHex(request.entry)).toBe(toHex(notification.entry));
    expect(toHex(request.kmaddress.local)).toBe(toHex(notification.kmaddress.local));
    expect(request.dir).toBe(notification.dir);
  });

  it('is 320 bytes, sadb_msg_len 40, satype ESP, seq and pid 0 (reference §2.5 worked size)', () => {
    const bytes = pfkeyMigrateFor(notification);
    expect(bytes.length).toBe(320);
    expect(toHex(bytes.subarray(0, 16))).toBe('02180003280000000000000000000000');
    expect(toHex(pfkeyMigrateFor(request))).toBe(toHex(bytes));
  });

  it('decodes to the captured selector, direction, KM addresses and endpoints', () => {
    const msg = decode(pfkeyMigrateFor(notification), { origin: 'kernel' });
    const m = readMigrate(msg);
    expect(formatIp(m.selector.src.address.addr)).toBe('2001:db8:aaaa::100');
    expect(m.selector.src.prefixlen).toBe(128);
    expect(formatIp(m.selector.dst.address.addr)).toBe('::');
    expect(m.selector.dst.prefixlen).toBe(0);
    expect(m.selector.proto).toBe(0);
    expect(m.dir).toBe(K.IPSEC_DIR_OUTBOUND);
    expect(formatIp(m.kmaddress?.local.addr as Uint8Array)).toBe('2001:db8:dddd::1');
    expect(formatIp(m.kmaddress?.remote.addr as Uint8Array)).toBe('2001:db8:aaaa::1');
    expect(m.bundles).toHaveLength(1);
    const b = m.bundles[0];
    expect(b).toMatchObject({
      proto: K.IPPROTO_ESP,
      mode: K.IPSEC_MODE_TUNNEL,
      level: K.IPSEC_LEVEL_UNIQUE,
      reqid: 0x7e57,
    });
    expect(
      [b?.old.src, b?.old.dst, b?.new.src, b?.new.dst].map((s) => formatIp(s?.addr as Uint8Array)),
    ).toEqual(['2001:db8:cccc::1', '2001:db8:aaaa::1', '2001:db8:dddd::1', '2001:db8:aaaa::1']);
    // And the request the MIPv6 daemon would have sent through PF_KEY instead is accepted as the kernel would.
    expect(() => decode(pfkeyMigrateFor(request), { origin: 'user' })).not.toThrow();
  });
});
