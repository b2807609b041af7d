/**
 * @packageDocumentation
 * CryptoProvider implementations for IPsec and IKEv2: portable (@noble) and native (node:crypto)
 */
export {};
