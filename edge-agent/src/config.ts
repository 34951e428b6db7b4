import fs from 'node:fs';
import { agentConfigValidator, KhoaError, type AgentConfig } from '@khoa/protocol';

/**
 * Reads and validates the agent's config file (written by `khoa provision agent`). Errors
 * name the file and the offending field; the password is never echoed.
 */
export function loadAgentConfig(file: string, warn: (msg: string) => void = () => {}): AgentConfig {
  let text: string;
  let mode: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mode = fs.statSync(file).mode;
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_FILE', `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file }, { cause: err });
  }
  // The file holds the device's only copy of its MQTT password.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) warn(`${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); it holds the device password, chmod 600 it`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${file} is not valid JSON`, { file });
  }
  const r = agentConfigValidator.check(value);
  if (!r.ok) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `${file}: ${r.error.message}`, { file, ...r.error.context });
  return r.value;
}
