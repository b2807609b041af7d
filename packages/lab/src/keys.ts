/**
 * The ESP SA table of a run in Wireshark's `esp_sa` UAT format, so a capture decrypts:
 * one line per SA: "IPv6","src","dst","0xSPI","encryption","0xkey","authentication","0xkey".
 */
import type { SecurityAssociation } from '@mip6sec/core';
import type { World } from './world.js';

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

function encName(sa: SecurityAssociation): string {
  const bits = (sa.enc.key.length - (sa.enc.alg === 'aes-cbc' ? 0 : 4)) * 8;
  switch (sa.enc.alg) {
    case 'aes-gcm-16':
      return `AES-GCM with 16 octet ICV [RFC4106]`;
    case 'aes-cbc':
      return `AES-CBC [RFC3602]`;
    case 'chacha20-poly1305':
      return 'ChaCha20 with Poly1305 [RFC7634]';
    case 'null':
      return 'NULL';
    default:
      return `unknown-${bits}`;
  }
}

function authName(sa: SecurityAssociation): string {
  switch (sa.integ?.alg) {
    case 'hmac-sha1-96':
      return 'HMAC-SHA-1-96 [RFC2404]';
    case 'hmac-sha2-256-128':
      return 'HMAC-SHA-256-128 [RFC4868]';
    case 'hmac-sha2-384-192':
      return 'HMAC-SHA-384-192 [RFC4868]';
    case 'hmac-sha2-512-256':
      return 'HMAC-SHA-512-256 [RFC4868]';
    default:
      return 'NULL';
  }
}

export async function espSecrets(world: World): Promise<string> {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const k of [world.ha.kernel, ...world.mns.map((m) => m.kernel)]) {
    for (const sa of await k.dumpSas()) {
      const key = `${sa.dst}/${sa.spi}`;
      if (seen.has(key) || sa.proto !== 'esp') continue;
      seen.add(key);
      lines.push(
        [
          sa.src.includes(':') ? 'IPv6' : 'IPv4',
          sa.src,
          sa.dst,
          `0x${sa.spi.toString(16).padStart(8, '0')}`,
          encName(sa),
          hex(sa.enc.key),
          authName(sa),
          sa.integ ? hex(sa.integ.key) : '',
        ]
          .map((f) => `"${f}"`)
          .join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
