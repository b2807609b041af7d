/**
 * @packageDocumentation
 * A simulated kernel IPsec: SPD/SAD/PAD, PF_KEY v2 sockets with broadcast, ACQUIRE, MIGRATE and an ESP datapath with real crypto
 */
export {};
