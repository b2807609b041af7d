/**
 * Numbers of the MSRD design (Qi et al., draft-qi-mip6-ikev2-interfacing). The reference type is this
 * project's: the proposal leaves `sadb_ref_type` values open, and one kind of reference is needed
 * here, "an MPI naming an MSRD record of an MN-HA binding".
 */

/** `sadb_ref_type` of a policy or ACQUIRE that names the MSRD record of an MN-HA binding. */
export const MSRD_REF_TYPE_BINDING = 1;

/** MPI 0 is never allocated: it reads as "no reference". */
export const MPI_MIN = 1n;
/** `sadb_ref_mpi` is a u64. */
export const MPI_MAX = 0xffff_ffff_ffff_ffffn;
