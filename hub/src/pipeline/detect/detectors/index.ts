import type { DetectorPlugin } from '../index.ts';
import * as nanodet from './nanodet.ts';

/** Every detector the pipeline can load, by `key`. A new one is one file plus one line here. */
export const detectors: DetectorPlugin[] = [nanodet];
