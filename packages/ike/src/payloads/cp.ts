/**
 * Configuration payload (RFC 7296 section 3.15): CFG Type, three reserved octets, attributes of
 * a 15-bit type (the top bit is reserved), a 16-bit length and a value.
 */
import { dataView } from '../bytes.js';
import { syntaxError } from '../errors.js';
import type { CfgAttribute, CpPayload } from './types.js';

export function decodeCp(body: Uint8Array, base: number): CpPayload {
  if (body.length < 4) throw syntaxError('truncated CP payload', base);
  const v = dataView(body);
  const attributes: CfgAttribute[] = [];
  let at = 4;
  while (at < body.length) {
    if (body.length - at < 4) throw syntaxError('truncated configuration attribute', base + at);
    const len = v.getUint16(at + 2);
    if (at + 4 + len > body.length)
      throw syntaxError('configuration attribute overruns the payload', base + at + 2);
    attributes.push({ type: v.getUint16(at) & 0x7fff, value: body.slice(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return { kind: 'CP', cfgType: body[0]!, attributes };
}

export function encodeCp(p: CpPayload): Uint8Array {
  let total = 4;
  for (const a of p.attributes) total += 4 + a.value.length;
  const out = new Uint8Array(total);
  const v = dataView(out);
  out[0] = p.cfgType;
  let at = 4;
  for (const a of p.attributes) {
    v.setUint16(at, a.type & 0x7fff);
    v.setUint16(at + 2, a.value.length);
    out.set(a.value, at + 4);
    at += 4 + a.value.length;
  }
  return out;
}
