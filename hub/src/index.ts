/** The hub's programmatic API (tests, the CLI, the demo, other parts of the hub). */
export { startHub, type Hub, type HubOptions } from './hub.ts';
export { loadSettings, validateSettings, type Settings } from './settings/index.ts';
export type { FrameSink, FrameSource } from './ingest/frame-sink.ts';
export type { RaiseAlert, RaiseRequest } from './alerts/raise.ts';
export { createLogger, type Logger } from './log.ts';
export { hashDevicePassword } from './broker/credentials.ts';
export * as storage from './storage/index.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { pipelineMetrics } from './pipeline/metrics.ts';
export { registerAlertGauges } from './alerts/gauges.ts';
export { registerCoverageGauges } from './coverage/gauges.ts';
