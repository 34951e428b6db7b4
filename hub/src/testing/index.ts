/**
 * Test helpers for suites outside the hub (test/): a real hub on ephemeral ports with a real
 * database, and the databases themselves. Not used by production code.
 */
export { startTestHub, waitFor, metricValue, type TestHub } from './harness.ts';
export { dbTargets, tempDir, PG_URL, type TestDbTarget } from './databases.ts';
