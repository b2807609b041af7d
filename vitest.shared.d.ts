/** Settings every package's vitest config merges: sources of sibling packages, node environment. */
declare const _default: import("vite").UserConfig;
export default _default;
//# sourceMappingURL=vitest.shared.d.ts.map