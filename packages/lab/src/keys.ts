/**
 * The keys a capture needs to be read in Wireshark: every ESP SA and IKE_SA of one MN over the
 * whole run (SAs a rekey or renegotiation replaced included), written as Wireshark's UAT files:
 *
 * - `esp_sa`: "Protocol","Src IP","Dest IP","SPI","Encryption","Encryption Key","Authentication",
 *   "Authentication Key" per line. The MN's end is a wildcard: MIGRATE moves an SA to new
 *   endpoints under the same SPI (and Wireshark matches the outer header, the CoA).
 * - `ikev2_decryption_table`: Initiator's SPI, Responder's SPI, SK_ei, SK_er, "Encryption
 *   algorithm", SK_ai, SK_ar, "Integrity algorithm" per line (bytes as bare hex, names quoted).
 *
 * Both go to `~/.config/wireshark/` (or tshark's `-o uat:esp_sa:LINE` per line), with ESP
 * decryption switched on (`esp.enable_encryption_decode: TRUE`). Names of algorithms are the
 * labels Wireshark 4.x shows; ciphers it cannot decrypt (ChaCha20-Poly1305) are left out.
 */
import type { EncAlgorithm, IntegAlgorithm, SecurityAssociation } from '@mip6sec/core';
import type { IkeSaListing } from '@mip6sec/ike';
import type { MnHandle } from './world.js';

const ESP_ENC: Partial<Record<EncAlgorithm, string>> = {
  'aes-gcm-16': 'AES-GCM with 16 octet ICV [RFC4106]',
  'aes-cbc': 'AES-CBC [RFC3602]',
  null: 'NULL',
};

const ESP_AUTH: Partial<Record<IntegAlgorithm, string>> = {
  none: 'NULL',
  'hmac-sha1-96': 'HMAC-SHA-1-96 [RFC2404]',
  'hmac-sha2-256-128': 'HMAC-SHA-256-128 [RFC4868]',
  'hmac-sha2-384-192': 'HMAC-SHA-384-192 [RFC4868]',
  'hmac-sha2-512-256': 'HMAC-SHA-512-256 [RFC4868]',
};

const IKE_INTEG: Record<string, string> = {
  sha1: 'HMAC_SHA1_96 [RFC2404]',
  sha256: 'HMAC_SHA2_256_128 [RFC4868]',
  sha384: 'HMAC_SHA2_384_192 [RFC4868]',
  sha512: 'HMAC_SHA2_512_256 [RFC4868]',
};

/** Wireshark's IKEv2 labels for a suite name such as `aes128gcm16-prfsha256-x25519`. */
export function ikeAlgorithms(suite: string): { enc: string; integ: string } | undefined {
  const [enc, second] = suite.split('-');
  const gcm = /^aes(128|192|256)gcm16$/.exec(enc ?? '');
  if (gcm) return { enc: `AES-GCM-${gcm[1]} with 16 octet ICV [RFC5282]`, integ: 'NONE [RFC4306]' };
  const cbc = /^aes(128|192|256)$/.exec(enc ?? '');
  const integ = IKE_INTEG[second ?? ''];
  if (cbc && integ) return { enc: `AES-CBC-${cbc[1]} [RFC3602]`, integ };
  return undefined;
}

const quote = (fields: readonly string[]) => fields.map((f) => JSON.stringify(f)).join(',');
const hex0x = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

/**
 * One line of Wireshark's esp_sa UAT for an SA, or undefined for a cipher Wireshark lacks.
 * `anchor` is the end that never moves (the HA): it is written as is, the other end as a wildcard,
 * so the line matches the SA at every CoA a MIGRATE moves it to, and the two directions of a
 * CHILD_SA stay apart even when both ends picked the same SPI.
 */
export function espSaLine(sa: SecurityAssociation, anchor?: string): string | undefined {
  const enc = ESP_ENC[sa.enc.alg];
  const auth = ESP_AUTH[sa.integ?.alg ?? 'none'];
  if (sa.proto !== 'esp' || !enc || !auth) return undefined;
  return quote([
    sa.src.includes(':') ? 'IPv6' : 'IPv4',
    sa.src === anchor ? sa.src : '*',
    sa.dst === anchor ? sa.dst : '*',
    `0x${(sa.spi >>> 0).toString(16).padStart(8, '0')}`,
    enc,
    sa.enc.key.length > 0 ? hex0x(sa.enc.key) : '',
    auth,
    sa.integ && sa.integ.key.length > 0 ? hex0x(sa.integ.key) : '',
  ]);
}

/** One line of Wireshark's ikev2_decryption_table UAT for an IKE_SA listed with its keys. */
export function ikev2Line(sa: IkeSaListing): string | undefined {
  const algs = sa.algorithms ? ikeAlgorithms(sa.algorithms) : undefined;
  if (!algs || !sa.keys) return undefined;
  // Byte fields of a UAT file are bare hex; text fields are quoted.
  const k = sa.keys;
  return [
    sa.spiI,
    sa.spiR,
    k.skEi,
    k.skEr,
    JSON.stringify(algs.enc),
    k.skAi,
    k.skAr,
    JSON.stringify(algs.integ),
  ].join(',');
}

/** Collects one MN's SAs and IKE_SAs as they are made, so replaced ones are kept too. */
export class KeyLog {
  private readonly esp = new Set<string>();
  private readonly ike = new Map<string, string>();

  constructor(
    private readonly mn: MnHandle,
    private readonly anchor: string,
  ) {
    const bus = mn.host.bus;
    bus.on('ike.child-installed').subscribe(() => this.collect());
    bus.on('ike.sa-established').subscribe(() => this.collect());
    this.collect();
  }

  /** Reads the MN's current SAs and IKE_SAs (also called by the events above). */
  collect(): void {
    for (const sa of this.mn.inspect.sas()) {
      if (sa.state === 'larval') continue;
      const line = espSaLine(sa, this.anchor);
      if (line) this.esp.add(line);
    }
    for (const sa of this.mn.ike.listSas({ keys: true })) {
      const key = `${sa.spiI}:${sa.spiR}`;
      if (this.ike.has(key) || sa.state !== 'established') continue;
      const line = ikev2Line(sa);
      if (line) this.ike.set(key, line);
    }
  }

  get espSaCount(): number {
    return this.esp.size;
  }

  get ikeSaCount(): number {
    return this.ike.size;
  }

  /** The esp_sa UAT file. */
  espSaTable(): string {
    this.collect();
    return [...this.esp.values()].map((l) => `${l}\n`).join('');
  }

  /** The ikev2_decryption_table UAT file. */
  ikev2Table(): string {
    this.collect();
    return [...this.ike.values()].map((l) => `${l}\n`).join('');
  }
}
