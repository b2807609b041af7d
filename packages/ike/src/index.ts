/**
 * @packageDocumentation
 * IKEv2 (RFC 7296) daemon with MOBIKE and Mobile IPv6 bootstrapping, written against the KernelBackend contract
 */
export {};
