/**
 * @module
 * Byte layouts of every struct this codec reads or writes, as gcc lays them out on x86_64 (all PF_KEY structs
 * are `__attribute__((packed))`; kernel-interfaces.md Appendix A). The codec takes its offsets from these
 * tables, and `layout.test.ts` compiles a C program against <linux/pfkeyv2.h> and <linux/ipsec.h> and compares
 * every `sizeof`/`offsetof` with them, so a wrong offset here fails a test instead of corrupting messages.
 *
 * `sadb_x_ref` (MSRD reference, `x-ref.ts`) and `sadb_x_sa_replay` (wide replay window, `x-sa-replay.ts`) are
 * this project's; the C test defines them itself.
 */

export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout<F extends string = string> {
  readonly size: number;
  readonly fields: { readonly [K in F]: FieldLayout };
}

function struct<F extends string>(
  size: number,
  fields: { readonly [K in F]: readonly [number, number] },
): StructLayout<F> {
  const out = {} as { [K in F]: FieldLayout };
  for (const name of Object.keys(fields) as F[]) {
    const [offset, fieldSize] = fields[name];
    out[name] = { offset, size: fieldSize };
  }
  return { size, fields: out };
}

export const LAYOUT = {
  sadb_msg: struct(16, {
    sadb_msg_version: [0, 1],
    sadb_msg_type: [1, 1],
    sadb_msg_errno: [2, 1],
    sadb_msg_satype: [3, 1],
    sadb_msg_len: [4, 2],
    sadb_msg_reserved: [6, 2],
    sadb_msg_seq: [8, 4],
    sadb_msg_pid: [12, 4],
  }),
  sadb_ext: struct(4, { sadb_ext_len: [0, 2], sadb_ext_type: [2, 2] }),
  sadb_sa: struct(16, {
    sadb_sa_len: [0, 2],
    sadb_sa_exttype: [2, 2],
    sadb_sa_spi: [4, 4],
    sadb_sa_replay: [8, 1],
    sadb_sa_state: [9, 1],
    sadb_sa_auth: [10, 1],
    sadb_sa_encrypt: [11, 1],
    sadb_sa_flags: [12, 4],
  }),
  sadb_lifetime: struct(32, {
    sadb_lifetime_len: [0, 2],
    sadb_lifetime_exttype: [2, 2],
    sadb_lifetime_allocations: [4, 4],
    sadb_lifetime_bytes: [8, 8],
    sadb_lifetime_addtime: [16, 8],
    sadb_lifetime_usetime: [24, 8],
  }),
  sadb_address: struct(8, {
    sadb_address_len: [0, 2],
    sadb_address_exttype: [2, 2],
    sadb_address_proto: [4, 1],
    sadb_address_prefixlen: [5, 1],
    sadb_address_reserved: [6, 2],
  }),
  sadb_key: struct(8, {
    sadb_key_len: [0, 2],
    sadb_key_exttype: [2, 2],
    sadb_key_bits: [4, 2],
    sadb_key_reserved: [6, 2],
  }),
  sadb_ident: struct(16, {
    sadb_ident_len: [0, 2],
    sadb_ident_exttype: [2, 2],
    sadb_ident_type: [4, 2],
    sadb_ident_reserved: [6, 2],
    sadb_ident_id: [8, 8],
  }),
  sadb_sens: struct(16, {
    sadb_sens_len: [0, 2],
    sadb_sens_exttype: [2, 2],
    sadb_sens_dpd: [4, 4],
    sadb_sens_sens_level: [8, 1],
    sadb_sens_sens_len: [9, 1],
    sadb_sens_integ_level: [10, 1],
    sadb_sens_integ_len: [11, 1],
    sadb_sens_reserved: [12, 4],
  }),
  sadb_prop: struct(8, {
    sadb_prop_len: [0, 2],
    sadb_prop_exttype: [2, 2],
    sadb_prop_replay: [4, 1],
    sadb_prop_reserved: [5, 3],
  }),
  sadb_comb: struct(72, {
    sadb_comb_auth: [0, 1],
    sadb_comb_encrypt: [1, 1],
    sadb_comb_flags: [2, 2],
    sadb_comb_auth_minbits: [4, 2],
    sadb_comb_auth_maxbits: [6, 2],
    sadb_comb_encrypt_minbits: [8, 2],
    sadb_comb_encrypt_maxbits: [10, 2],
    sadb_comb_reserved: [12, 4],
    sadb_comb_soft_allocations: [16, 4],
    sadb_comb_hard_allocations: [20, 4],
    sadb_comb_soft_bytes: [24, 8],
    sadb_comb_hard_bytes: [32, 8],
    sadb_comb_soft_addtime: [40, 8],
    sadb_comb_hard_addtime: [48, 8],
    sadb_comb_soft_usetime: [56, 8],
    sadb_comb_hard_usetime: [64, 8],
  }),
  sadb_supported: struct(8, {
    sadb_supported_len: [0, 2],
    sadb_supported_exttype: [2, 2],
    sadb_supported_reserved: [4, 4],
  }),
  sadb_alg: struct(8, {
    sadb_alg_id: [0, 1],
    sadb_alg_ivlen: [1, 1],
    sadb_alg_minbits: [2, 2],
    sadb_alg_maxbits: [4, 2],
    sadb_alg_reserved: [6, 2],
  }),
  sadb_spirange: struct(16, {
    sadb_spirange_len: [0, 2],
    sadb_spirange_exttype: [2, 2],
    sadb_spirange_min: [4, 4],
    sadb_spirange_max: [8, 4],
    sadb_spirange_reserved: [12, 4],
  }),
  sadb_x_kmprivate: struct(8, {
    sadb_x_kmprivate_len: [0, 2],
    sadb_x_kmprivate_exttype: [2, 2],
    sadb_x_kmprivate_reserved: [4, 4],
  }),
  sadb_x_sa2: struct(16, {
    sadb_x_sa2_len: [0, 2],
    sadb_x_sa2_exttype: [2, 2],
    sadb_x_sa2_mode: [4, 1],
    sadb_x_sa2_reserved1: [5, 1],
    sadb_x_sa2_reserved2: [6, 2],
    sadb_x_sa2_sequence: [8, 4],
    sadb_x_sa2_reqid: [12, 4],
  }),
  sadb_x_policy: struct(16, {
    sadb_x_policy_len: [0, 2],
    sadb_x_policy_exttype: [2, 2],
    sadb_x_policy_type: [4, 2],
    sadb_x_policy_dir: [6, 1],
    sadb_x_policy_reserved: [7, 1],
    sadb_x_policy_id: [8, 4],
    sadb_x_policy_priority: [12, 4],
  }),
  sadb_x_ipsecrequest: struct(16, {
    sadb_x_ipsecrequest_len: [0, 2],
    sadb_x_ipsecrequest_proto: [2, 2],
    sadb_x_ipsecrequest_mode: [4, 1],
    sadb_x_ipsecrequest_level: [5, 1],
    sadb_x_ipsecrequest_reserved1: [6, 2],
    sadb_x_ipsecrequest_reqid: [8, 4],
    sadb_x_ipsecrequest_reserved2: [12, 4],
  }),
  sadb_x_nat_t_type: struct(8, {
    sadb_x_nat_t_type_len: [0, 2],
    sadb_x_nat_t_type_exttype: [2, 2],
    sadb_x_nat_t_type_type: [4, 1],
    sadb_x_nat_t_type_reserved: [5, 3],
  }),
  sadb_x_nat_t_port: struct(8, {
    sadb_x_nat_t_port_len: [0, 2],
    sadb_x_nat_t_port_exttype: [2, 2],
    sadb_x_nat_t_port_port: [4, 2],
    sadb_x_nat_t_port_reserved: [6, 2],
  }),
  sadb_x_sec_ctx: struct(8, {
    sadb_x_sec_len: [0, 2],
    sadb_x_sec_exttype: [2, 2],
    sadb_x_ctx_alg: [4, 1],
    sadb_x_ctx_doi: [5, 1],
    sadb_x_ctx_len: [6, 2],
  }),
  sadb_x_kmaddress: struct(8, {
    sadb_x_kmaddress_len: [0, 2],
    sadb_x_kmaddress_exttype: [2, 2],
    sadb_x_kmaddress_reserved: [4, 4],
  }),
  sadb_x_filter: struct(40, {
    sadb_x_filter_len: [0, 2],
    sadb_x_filter_exttype: [2, 2],
    sadb_x_filter_saddr: [4, 16],
    sadb_x_filter_daddr: [20, 16],
    sadb_x_filter_family: [36, 2],
    sadb_x_filter_splen: [38, 1],
    sadb_x_filter_dplen: [39, 1],
  }),
  // MSRD reference extension carried behind the standard sadb_ext header (x-ref.ts explains why).
  sadb_x_ref: struct(16, {
    sadb_x_ref_len: [0, 2],
    sadb_x_ref_exttype: [2, 2],
    sadb_ref_ver: [4, 1],
    sadb_ref_type: [5, 1],
    sadb_ref_type_ext: [6, 2],
    sadb_ref_mpi: [8, 8],
  }),
  // Wide replay window (x-sa-replay.ts), shaped like FreeBSD's struct sadb_x_sa_replay.
  sadb_x_sa_replay: struct(8, {
    sadb_x_sa_replay_len: [0, 2],
    sadb_x_sa_replay_exttype: [2, 2],
    sadb_x_sa_replay_replay: [4, 4],
  }),
  sockaddr_in: struct(16, {
    sin_family: [0, 2],
    sin_port: [2, 2],
    sin_addr: [4, 4],
    sin_zero: [8, 8],
  }),
  sockaddr_in6: struct(28, {
    sin6_family: [0, 2],
    sin6_port: [2, 2],
    sin6_flowinfo: [4, 4],
    sin6_addr: [8, 16],
    sin6_scope_id: [24, 4],
  }),
} as const;

export type StructName = keyof typeof LAYOUT;

/** Round a byte count up to the next multiple of 8 (af_key.c PFKEY_ALIGN8; RFC 2367 §2.2 64-bit alignment). */
export function align8(n: number): number {
  return (n + 7) & ~7;
}
