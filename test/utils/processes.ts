/**
 * Nodes as child processes, for tests that kill a node for real: free ports, spawning a per-process entry point,
 * the JSON lines it prints, and killing every child (and removing every temp dir) even when a test fails or the
 * test process itself is stopped. The implementation is the harness's (`@parapipe/harness`); these names stay
 * for the tests that import them from here.
 */
export { freePort, NodeProcess, ProcessRegistry } from "@parapipe/harness";
