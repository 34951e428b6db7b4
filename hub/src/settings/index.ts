export { SettingsSchema, settingsValidator, LOG_LEVELS, type Settings } from './schema.ts';
export { loadSettings, validateSettings, type LoadOptions } from './load.ts';
export { ENV_SETTINGS, envNameOf } from './env.ts';
