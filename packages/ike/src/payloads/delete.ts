/** Delete payload (RFC 7296 section 3.11): Protocol ID, SPI Size, Num of SPIs, SPIs. */
import { dataView } from '../bytes.js';
import { syntaxError } from '../errors.js';
import type { DeletePayload } from './types.js';

export function decodeDelete(body: Uint8Array, base: number): DeletePayload {
  if (body.length < 4) throw syntaxError('truncated Delete payload', base);
  const spiSize = body[1]!;
  const count = dataView(body).getUint16(2);
  if (body.length !== 4 + spiSize * count) {
    throw syntaxError(
      `Delete payload of ${count} SPIs of ${spiSize} bytes has ${body.length - 4} bytes`,
      base,
    );
  }
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) spis.push(body.slice(4 + i * spiSize, 4 + (i + 1) * spiSize));
  return { kind: 'D', protocol: body[0]!, spiSize, spis };
}

export function encodeDelete(p: DeletePayload): Uint8Array {
  const out = new Uint8Array(4 + p.spiSize * p.spis.length);
  out[0] = p.protocol;
  out[1] = p.spiSize;
  dataView(out).setUint16(2, p.spis.length);
  p.spis.forEach((s, i) => {
    out.set(s.subarray(0, p.spiSize), 4 + i * p.spiSize);
  });
  return out;
}
