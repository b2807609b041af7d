/**
 * @module
 * Bytes -> model. `decode` takes exactly one message (one PF_KEY send() or recv()); `decodeAll` and
 * `splitMessages` walk a buffer of messages laid end to end. The walk follows af_key.c parse_exthdrs
 * (reference §1.1): every extension needs its 4-byte header, `sadb_ext_len` of at least one word and no
 * more than what is left, a type other than 0; types 1..26 need Linux's minimum length and may appear once;
 * this project's types (SADB_X_EXT_REF, SADB_X_EXT_SA_REPLAY) may appear once; other types are kept as opaque
 * records (Linux skips them) or refused.
 * Then each codec checks its extension's body and the message rules run (validate.ts).
 *
 * Every failure is a PfkeyError whose offset counts from the start of the buffer given. Reads never leave
 * the message: each step checks the bytes left before reading. Byte fields of the result are views into
 * the buffer (see model.ts).
 */

import { checkBaseHeader, readBaseHeader, SADB_MSG_SIZE } from './base-header.js';
import { SADB_EXT_MAX, SADB_EXT_MAX_LINUX } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { EXT_CODECS, LINUX_MIN_LEN } from './extensions.js';
import type { PfkeyMessage } from './model.js';
import { extTypeName } from './names.js';
import { invalid } from './pfkey-error.js';
import { unknownCodec } from './unknown-ext.js';
import { checkMessageRules, type Origin } from './validate.js';
import { type Cursor, cursor } from './wire.js';

export interface DecodeOptions {
  /** Who wrote the message: 'user' (to the kernel), 'kernel' (from it) or 'any' (default). See validate.ts. */
  origin?: Origin;
  /**
   * Extension types this codec does not know: 'keep' (default) keeps them as UNKNOWN_EXTENSION records,
   * as Linux skips them; 'reject' refuses them with EINVAL, as strongSwan's parser does.
   */
  unknownExtensions?: 'keep' | 'reject';
}

const EXT_HEADER = 4;

function decodeBody(c: Cursor, start: number, len: number, options: DecodeOptions | undefined): PfkeyMessage {
  const msg = readBaseHeader(c, start);
  const exts = msg.extensions;
  const offsets: number[] = [];
  const keepUnknown = options?.unknownExtensions !== 'reject';
  const dv = c.dv;
  const end = start + len;
  let seen = 0;
  let seenOwn = 0;
  for (let off = start + SADB_MSG_SIZE; off < end; ) {
    const left = end - off;
    if (left < EXT_HEADER) invalid(off, `${left} bytes left, too few for a sadb_ext header`);
    const words = dv.getUint16(off, true);
    const type = dv.getUint16(off + 2, true);
    const extLen = words * 8;
    if (words === 0) invalid(off, 'sadb_ext_len is 0 words');
    if (extLen > left)
      invalid(off, `sadb_ext_len says ${extLen} bytes but only ${left} are left in the message`);
    if (type === 0) invalid(off + 2, 'sadb_ext_type 0 is SADB_EXT_RESERVED');
    let codec: ExtCodec;
    if (type <= SADB_EXT_MAX_LINUX) {
      const min = LINUX_MIN_LEN[type] as number;
      if (extLen < min) invalid(off, `${extTypeName(type)} is ${extLen} bytes; Linux needs at least ${min}`);
      const bit = 1 << type;
      if ((seen & bit) !== 0) invalid(off + 2, `duplicate ${extTypeName(type)}`);
      seen |= bit;
      codec = EXT_CODECS[type] as ExtCodec;
    } else if (type <= SADB_EXT_MAX && EXT_CODECS[type] !== undefined) {
      // This project's types, above Linux's range: one bit each above SADB_EXT_MAX_LINUX.
      const bit = 1 << (type - SADB_EXT_MAX_LINUX);
      if ((seenOwn & bit) !== 0) invalid(off + 2, `duplicate ${extTypeName(type)}`);
      seenOwn |= bit;
      codec = EXT_CODECS[type] as ExtCodec;
    } else {
      if (!keepUnknown) invalid(off + 2, `unknown extension type ${type}`);
      codec = unknownCodec;
    }
    exts.push(codec.decode(c, off, extLen, type));
    offsets.push(off);
    off += extLen;
  }
  checkMessageRules(msg, offsets, start, options?.origin ?? 'any');
  return msg;
}

/** Decodes one PF_KEY v2 message that fills `bytes` exactly. Throws PfkeyError. */
export function decode(bytes: Uint8Array, options?: DecodeOptions): PfkeyMessage {
  const c = cursor(bytes);
  const len = checkBaseHeader(c, 0, bytes.length, true);
  return decodeBody(c, 0, len, options);
}

/** Decodes every message of a buffer holding messages end to end (a capture, a file). Throws PfkeyError. */
export function decodeAll(bytes: Uint8Array, options?: DecodeOptions): PfkeyMessage[] {
  const c = cursor(bytes);
  const out: PfkeyMessage[] = [];
  for (let off = 0; off < bytes.length; ) {
    const len = checkBaseHeader(c, off, bytes.length - off, false);
    out.push(decodeBody(c, off, len, options));
    off += len;
  }
  return out;
}

/**
 * Cuts a buffer of messages laid end to end into one view per message, checking only the base headers
 * (lengths, version, type); decode each view when needed.
 */
export function splitMessages(bytes: Uint8Array): Uint8Array[] {
  const c = cursor(bytes);
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; ) {
    const len = checkBaseHeader(c, off, bytes.length - off, false);
    out.push(bytes.subarray(off, off + len));
    off += len;
  }
  return out;
}
