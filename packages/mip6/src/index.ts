/**
 * @packageDocumentation
 * Mobile IPv6 (RFC 6275): Mobility Header codec, HAO and RH2, mobile node and home agent protected by IPsec
 */
export {};
