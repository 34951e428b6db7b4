// A worker entry cannot be TypeScript: this plain module registers tsx in the worker and
// then loads the real entry (workerData.entry). Works under `node hub/bin/khoa.js` and vitest.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
