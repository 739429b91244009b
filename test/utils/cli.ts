/**
 * The `parapipe` binary as a child process, for end-to-end tests: run a command to completion, or start a
 * long-running one and wait for its output. Every child is tracked by a `ProcessRegistry`, so a failing test
 * still stops it. The implementation is the harness's (`@parapipe/harness`); these names stay for the tests
 * that import them from here.
 */
export { CliProcess, freeDevnetPorts, PARAPIPE, portFree, runCli, startCli } from "@parapipe/harness";
