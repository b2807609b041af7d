/**
 * @packageDocumentation
 * The MSRD interface design (Qi et al.): Mobile Security Reference Database indexed by MPI, and the SADB_X_EXT_REF strategy
 */
export {};
