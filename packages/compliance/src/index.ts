/**
 * @packageDocumentation
 * Shared vitest suites: every KernelBackend and every MobilityStrategy passes the same scenarios. The suites
 * live in subpaths, `@mip6sec/compliance/kernel` (kernelComplianceSuite) and `@mip6sec/compliance/strategy`
 * (strategyComplianceSuite), so importing one does not load the other.
 */
export {};
