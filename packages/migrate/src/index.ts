/**
 * @packageDocumentation
 * The MIGRATE interface design (draft-ebalard-mext-pfkey-enhanced-migrate) as a MobilityStrategy
 */
export {};
