import { compile, KhoaError } from '@khoa/protocol';
import type { Detector } from './index.ts';
import { detectors } from './detectors/index.ts';

/** Options of a detector, keyed by `type` like the settings file's detector section. */
export interface DetectorChoice {
  type: string;
  [option: string]: unknown;
}

/** Validates the options against the detector's schema (filling defaults) and creates it. */
export async function loadDetector(choice: DetectorChoice = { type: 'nanodet' }): Promise<Detector> {
  const plugin = detectors.find((d) => d.key === choice.type);
  if (!plugin) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `unknown detector "${choice.type}"`, { known: detectors.map((d) => d.key) });
  const { type: _type, ...options } = choice;
  const config = compile(plugin.configSchema, 'KHOA_ERR_CONFIG_INVALID').assert(structuredClone(options));
  return plugin.create(config);
}
