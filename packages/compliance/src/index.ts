/**
 * @packageDocumentation
 * Shared vitest suites: every KernelBackend and every MobilityStrategy passes the same scenarios
 */
export {};
