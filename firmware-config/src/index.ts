export { newDevicePassword, newAgentId } from './password.ts';
export { createAgentConfig, parseLockSpec, writeAgentConfig, removeAgentConfig, DEFAULT_AGENT_DATA_DIR, type AgentBundleRequest } from './agent-bundle.ts';
