export { startAgent, DEFAULT_TUNING, type Agent, type AgentOptions, type AgentTuning } from './agent.ts';
export type { CameraProvider, CameraSink } from './cameras.ts';
export { systemClock, type Clock } from './clock.ts';
export type { CommandHooks } from './commands/index.ts';
export { builtinDrivers, SimulatorDriver, type DriverEvent, type LockDriver, type LockDriverContext, type LockDriverFactory } from './drivers/index.ts';
export { createLogger, type Logger } from './log.ts';
export { createAgentMetrics, type AgentMetrics } from './metrics.ts';
export { loadAgentConfig } from './config.ts';
