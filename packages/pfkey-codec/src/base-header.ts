/**
 * @module
 * `struct sadb_msg`, the 16-byte base header of every PF_KEY v2 message (RFC 2367 §2.3.1), and the checks
 * Linux makes on it before anything else (af_key.c pfkey_get_base_msg, reference §1.1): fewer than 16 bytes
 * is EMSGSIZE; a version other than PF_KEY_V2 or a type outside 1..SADB_MAX is EINVAL; `sadb_msg_len` (in
 * 64-bit words, the whole message) below 2 or not matching the bytes at hand is EMSGSIZE. Whether
 * `sadb_msg_reserved` must be zero depends on who wrote the message (see validate.ts).
 */

import { PF_KEY_V2, SADB_MAX } from './constants.js';
import { LAYOUT } from './layout.js';
import type { PfkeyMessage } from './model.js';
import { invalid, PfkeyError } from './pfkey-error.js';
import { type Cursor, checkU8, checkU16, checkU32 } from './wire.js';

const F = LAYOUT.sadb_msg.fields;
export const SADB_MSG_SIZE = LAYOUT.sadb_msg.size;
const VERSION = F.sadb_msg_version.offset;
const TYPE = F.sadb_msg_type.offset;
const ERRNO = F.sadb_msg_errno.offset;
const SATYPE = F.sadb_msg_satype.offset;
const LEN = F.sadb_msg_len.offset;
const RESERVED = F.sadb_msg_reserved.offset;
const SEQ = F.sadb_msg_seq.offset;
const PID = F.sadb_msg_pid.offset;

/** Offsets of the header fields, for error reports. */
export const SADB_MSG_OFFSETS = {
  type: TYPE,
  errno: ERRNO,
  satype: SATYPE,
  len: LEN,
  reserved: RESERVED,
} as const;

/**
 * Checks the header at `start` and returns the message length in bytes. `avail` is how many bytes the
 * caller has from `start` on; with `exact` they must all belong to this message (one send() = one message),
 * otherwise the message may be followed by others.
 */
export function checkBaseHeader(c: Cursor, start: number, avail: number, exact: boolean): number {
  if (avail < SADB_MSG_SIZE) {
    throw new PfkeyError('EMSGSIZE', start, `${avail} bytes is shorter than the 16-byte sadb_msg`);
  }
  const b = c.bytes;
  const version = b[start + VERSION] as number;
  if (version !== PF_KEY_V2) invalid(start + VERSION, `sadb_msg_version ${version} is not PF_KEY_V2 (2)`);
  const type = b[start + TYPE] as number;
  if (type === 0 || type > SADB_MAX) invalid(start + TYPE, `sadb_msg_type ${type} is outside 1..${SADB_MAX}`);
  const words = c.dv.getUint16(start + LEN, true);
  if (words < SADB_MSG_SIZE / 8) {
    throw new PfkeyError(
      'EMSGSIZE',
      start + LEN,
      `sadb_msg_len ${words} is below 2 words (the header alone)`,
    );
  }
  const len = words * 8;
  if (exact ? words !== Math.floor(avail / 8) : len > avail) {
    throw new PfkeyError(
      'EMSGSIZE',
      start + LEN,
      `sadb_msg_len says ${len} bytes (${words} words) but ${avail} bytes were given`,
    );
  }
  // Linux compares words, so 1..7 stray bytes pass the header check and then fail the extension walk.
  if (exact && avail !== len)
    invalid(start + len, `${avail - len} stray bytes after the ${len}-byte message`);
  return len;
}

/** Reads the header fields into a message with an empty extension list. */
export function readBaseHeader(c: Cursor, start: number): PfkeyMessage {
  const b = c.bytes;
  const dv = c.dv;
  return {
    type: b[start + TYPE] as number,
    errno: b[start + ERRNO] as number,
    satype: b[start + SATYPE] as number,
    reserved: dv.getUint16(start + RESERVED, true),
    seq: dv.getUint32(start + SEQ, true),
    pid: dv.getUint32(start + PID, true),
    extensions: [],
  };
}

/** Checks header values before encoding (the message starts at byte 0). */
export function checkHeaderValues(m: PfkeyMessage): void {
  checkU8(m.type, TYPE, 'sadb_msg_type');
  checkU8(m.errno, ERRNO, 'sadb_msg_errno');
  checkU8(m.satype, SATYPE, 'sadb_msg_satype');
  checkU16(m.reserved, RESERVED, 'sadb_msg_reserved');
  checkU32(m.seq, SEQ, 'sadb_msg_seq');
  checkU32(m.pid, PID, 'sadb_msg_pid');
}

/** Writes the header for a message of `len` bytes at byte 0. */
export function writeBaseHeader(c: Cursor, m: PfkeyMessage, len: number): void {
  const b = c.bytes;
  const dv = c.dv;
  b[VERSION] = PF_KEY_V2;
  b[TYPE] = m.type;
  b[ERRNO] = m.errno;
  b[SATYPE] = m.satype;
  dv.setUint16(LEN, len / 8, true);
  dv.setUint16(RESERVED, m.reserved, true);
  dv.setUint32(SEQ, m.seq, true);
  dv.setUint32(PID, m.pid, true);
}
