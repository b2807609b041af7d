/**
 * NAT detection (RFC 7296 section 2.23): NAT_DETECTION_*_IP data is
 * SHA-1(SPIi | SPIr | IP address | port), with SPIr zero in the IKE_SA_INIT request.
 */
import { type CryptoProvider, type Endpoint, ipToBytes } from '@mip6sec/core';
import { concat, equalBytes, u16ToBytes, u64ToBytes } from './bytes.js';

export function natHash(crypto: CryptoProvider, spiI: bigint, spiR: bigint, e: Endpoint): Uint8Array {
  return crypto.hash('sha1', concat(u64ToBytes(spiI), u64ToBytes(spiR), ipToBytes(e.ip), u16ToBytes(e.port)));
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
  return !hashes.some((h) => equalBytes(h, mine));
}
