/**
 * @packageDocumentation
 * The no-interface baseline strategy: tear IKE down and negotiate again from the new care-of address after each move
 */
export {};
