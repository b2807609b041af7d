/**
 * A pcap (libpcap classic format) writer for raw IP packets, LINKTYPE_RAW (101): each record is an
 * IPv4 or IPv6 packet, which Wireshark and tshark dissect from the version nibble.
 */
import { writeFileSync } from 'node:fs';

export const LINKTYPE_RAW = 101;

export interface CapturedPacket {
  /** Virtual time in milliseconds. */
  readonly timeMs: number;
  readonly bytes: Uint8Array;
}

export function encodePcap(packets: readonly CapturedPacket[], snaplen = 65535): Uint8Array {
  let size = 24;
  for (const p of packets) size += 16 + Math.min(p.bytes.length, snaplen);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  // Little-endian magic: readers detect the byte order from it.
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  let at = 24;
  for (const p of packets) {
    const us = Math.round(p.timeMs * 1000);
    const caplen = Math.min(p.bytes.length, snaplen);
    v.setUint32(at, Math.floor(us / 1e6), true);
    v.setUint32(at + 4, us % 1e6, true);
    v.setUint32(at + 8, caplen, true);
    v.setUint32(at + 12, p.bytes.length, true);
    out.set(p.bytes.subarray(0, caplen), at + 16);
    at += 16 + caplen;
  }
  return out;
}

export function writePcap(file: string, packets: readonly CapturedPacket[]): void {
  writeFileSync(file, encodePcap(packets));
}
