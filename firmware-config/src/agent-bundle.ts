import { open, unlink } from 'node:fs/promises';
import { AGENT_CONFIG_VERSION, agentConfigValidator, isValidId, KhoaError, type AgentConfig, type AgentLockConfig } from '@khoa/protocol';

export interface AgentBundleRequest {
  householdId: string;
  deviceId: string;
  password: string;
  /** Where the agent reaches the hub, e.g. `mqtts://hub.xa-phuong.local:8883`. */
  hubUrl: string;
  /** PEM text of the CA that signed the hub's TLS certificate (private CA). */
  ca?: string | undefined;
  /** The agent's state directory on the Pi. */
  dataDir?: string | undefined;
  locks?: AgentLockConfig[] | undefined;
  cameras?: unknown[] | undefined;
}

/** Where agents keep their queue and state unless told otherwise (the Pi image's volume). */
export const DEFAULT_AGENT_DATA_DIR = '/var/lib/khoa';

/**
 * The first slice of a device bundle: the agent's config file, checked against the shared
 * schema in protocol (the agent validates the same schema when it reads it).
 */
export function createAgentConfig(req: AgentBundleRequest): AgentConfig {
  if (!isValidId(req.householdId)) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `household id ${JSON.stringify(req.householdId)}`, { field: 'householdId' });
  if (!isValidId(req.deviceId)) throw new KhoaError('KHOA_ERR_PAYLOAD_INVALID', `device id ${JSON.stringify(req.deviceId)}`, { field: 'deviceId' });
  const config: AgentConfig = {
    version: AGENT_CONFIG_VERSION,
    deviceId: req.deviceId,
    householdId: req.householdId,
    password: req.password,
    mqtt: { url: req.hubUrl, ...(req.ca ? { ca: req.ca } : {}) },
    dataDir: req.dataDir ?? DEFAULT_AGENT_DATA_DIR,
    locks: req.locks ?? [],
    ...(req.cameras ? { cameras: req.cameras } : {}),
  };
  return agentConfigValidator.assert(config);
}

/**
 * Parses `id:kind:driver` (the installer's shorthand, e.g. `front:lock_with_door:simulator`)
 * into a lock entry; validation of the parts is the schema's.
 */
export function parseLockSpec(spec: string): AgentLockConfig {
  const [id, kind, driver, ...rest] = spec.split(':');
  if (!id || !kind || !driver || rest.length > 0) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `lock "${spec}" must be id:kind:driver`, { field: 'lock' });
  }
  return { id, kind: kind as AgentLockConfig['kind'], driver };
}

/**
 * Writes the config with mode 0600 (it holds the device's password) and refuses to overwrite
 * an existing file, which would orphan the credentials of a device already in the field.
 */
export async function writeAgentConfig(file: string, config: AgentConfig): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KhoaError('KHOA_ERR_CONFIG_FILE', code === 'EEXIST' ? `${file} exists; not overwriting a device's credentials` : `${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`, 'utf8');
  } finally {
    await handle.close();
  }
}

/** Removes a config written by a provisioning that then failed. */
export async function removeAgentConfig(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}
