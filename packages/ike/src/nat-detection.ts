/**
 * NAT detection (RFC 7296 section 2.23): NAT_DETECTION_*_IP data is
 * SHA-1(SPIi | SPIr | IP address | port), with SPIr zero in the IKE_SA_INIT request.
 */
import { type CryptoProvider, type Endpoint, ipToBytes } from '@mip6sec/core';
import { equalBytes } from './bytes.js';

export function natHash(crypto: CryptoProvider, spiI: bigint, spiR: bigint, e: Endpoint): Uint8Array {
  // Written into one array: an IKE_SA_INIT hashes four of these.
  const ip = ipToBytes(e.ip);
  const data = new Uint8Array(16 + ip.length + 2);
  const view = new DataView(data.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, spiI));
  view.setBigUint64(8, BigInt.asUintN(64, spiR));
  data.set(ip, 16);
  view.setUint16(16 + ip.length, e.port);
  return crypto.hash('sha1', data);
}

/** True when none of the hashes the peer sent matches `e`: a NAT sits in front of that endpoint. */
export function natBehind(
  crypto: CryptoProvider,
  spiI: bigint,
  spiR: bigint,
  e: Endpoint,
  hashes: readonly Uint8Array[],
): boolean {
  if (hashes.length === 0) return false;
  const mine = natHash(crypto, spiI, spiR, e);
  for (const h of hashes) if (equalBytes(h, mine)) return false;
  return true;
}
