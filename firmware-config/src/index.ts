export { newDevicePassword, newAgentId } from './password.ts';
export { createAgentConfig, parseLockSpec, writeAgentConfig, removeAgentConfig, DEFAULT_AGENT_DATA_DIR, type AgentBundleRequest } from './agent-bundle.ts';
export { writeBundle, type BundleFile } from './bundle-dir.ts';
export { agentBundleFiles, type AgentDirOptions } from './agent-dir.ts';
export { agentUnit, agentHealthUnits, groupsFor, AGENT_UNIT_NAME } from './systemd-unit.ts';
export { firstBootFiles, ADMIN_USER } from './first-boot.ts';
export { parseSshPublicKeys } from './ssh-key.ts';
export { esphomeSensorConfig, esphomeSecrets, SENSOR_KINDS, ESPHOME_IDS, SECRET_KEYS, type SensorKind, type SensorConfigRequest } from './esphome.ts';
export { sensorBundleFiles, type SensorBundle } from './sensor-dir.ts';
