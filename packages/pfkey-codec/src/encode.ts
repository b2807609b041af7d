/**
 * @module
 * Model -> bytes. One pass checks every value and sizes every extension (RFC 2367 §2.2: all lengths in 64-bit
 * words, everything padded to 8 bytes), one output buffer of exactly that size is allocated, and a second
 * pass writes into it; lengths always come from the content, never from the caller. With validation on
 * (the default) the same message rules as `decode` run first, so `decode(encode(m))` accepts whatever
 * `encode` produced. `validate: false` skips the message rules and the duplicate check only, to build
 * deliberately bad messages for tests; values must still fit their fields.
 */

import { checkHeaderValues, SADB_MSG_OFFSETS, SADB_MSG_SIZE, writeBaseHeader } from './base-header.js';
import { SADB_EXT_MAX_LINUX, SADB_MAX, UNKNOWN_EXTENSION } from './constants.js';
import type { ExtCodec } from './ext-codec.js';
import { EXT_CODECS } from './extensions.js';
import type { PfkeyExtension, PfkeyMessage, PfkeyMessageInit, UnknownExt } from './model.js';
import { extTypeName } from './names.js';
import { invalid, PfkeyError } from './pfkey-error.js';
import { unknownCodec } from './unknown-ext.js';
import { checkMessageRules, type Origin } from './validate.js';
import { cursor } from './wire.js';

export interface EncodeOptions {
  /** Which message rules to apply, as for decode (default 'any'). */
  origin?: Origin;
  /** false: skip the message rules and the duplicate-extension check (default true). */
  validate?: boolean;
}

const MAX_BYTES = 0xffff * 8;

function codecFor(e: PfkeyExtension, off: number): ExtCodec {
  if (e === null || typeof e !== 'object') return invalid(off, 'an extension must be an object');
  if (e.type === UNKNOWN_EXTENSION) return unknownCodec;
  const codec = typeof e.type === 'number' ? EXT_CODECS[e.type] : undefined;
  if (!codec) return invalid(off + 2, `extension type ${String(e.type)} is not one this codec models`);
  return codec;
}

function withDefaults(msg: PfkeyMessageInit): PfkeyMessage {
  return {
    type: msg.type,
    errno: msg.errno ?? 0,
    satype: msg.satype ?? 0,
    reserved: msg.reserved ?? 0,
    seq: msg.seq ?? 0,
    pid: msg.pid ?? 0,
    extensions: msg.extensions ?? [],
  };
}

/** Encodes a message into a new buffer of exactly its size. Throws PfkeyError (offsets count from byte 0). */
export function encode(msg: PfkeyMessageInit, options?: EncodeOptions): Uint8Array<ArrayBuffer> {
  const m = withDefaults(msg);
  const validate = options?.validate !== false;
  checkHeaderValues(m);
  if (m.type === 0 || m.type > SADB_MAX)
    invalid(SADB_MSG_OFFSETS.type, `sadb_msg_type ${m.type} is outside 1..${SADB_MAX}`);
  if (!Array.isArray(m.extensions)) invalid(SADB_MSG_SIZE, 'extensions must be an array');
  const exts = m.extensions;
  const codecs: ExtCodec[] = new Array(exts.length);
  const offsets: number[] = new Array(exts.length);
  let size = SADB_MSG_SIZE;
  let seen = 0;
  let seenOwn = 0;
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i] as PfkeyExtension;
    const codec = codecFor(e, size);
    if (validate && e.type !== UNKNOWN_EXTENSION) {
      if (e.type <= SADB_EXT_MAX_LINUX) {
        const bit = 1 << e.type;
        if ((seen & bit) !== 0) invalid(size + 2, `duplicate ${extTypeName(e.type)}`);
        seen |= bit;
      } else {
        // This project's types (codecFor has checked there is a codec): one bit each, as in decode.
        const bit = 1 << (e.type - SADB_EXT_MAX_LINUX);
        if ((seenOwn & bit) !== 0) invalid(size + 2, `duplicate ${extTypeName(e.type)}`);
        seenOwn |= bit;
      }
    }
    const n = codec.size(e, size);
    if (n > MAX_BYTES)
      throw new PfkeyError('EMSGSIZE', size, `${extTypeName(e.type)} of ${n} bytes exceeds 65535 words`);
    codecs[i] = codec;
    offsets[i] = size;
    size += n;
  }
  if (size > MAX_BYTES) {
    throw new PfkeyError(
      'EMSGSIZE',
      SADB_MSG_OFFSETS.len,
      `message of ${size} bytes exceeds sadb_msg_len's 65535 words`,
    );
  }
  if (validate) checkMessageRules(m, offsets, 0, options?.origin ?? 'any');

  const out = new Uint8Array(size);
  const c = cursor(out);
  writeBaseHeader(c, m, size);
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i] as PfkeyExtension;
    const off = offsets[i] as number;
    const end = i + 1 < exts.length ? (offsets[i + 1] as number) : size;
    c.dv.setUint16(off, (end - off) / 8, true);
    c.dv.setUint16(off + 2, e.type === UNKNOWN_EXTENSION ? (e as UnknownExt).exttype : e.type, true);
    (codecs[i] as ExtCodec).write(c, off, e);
  }
  return out;
}
