import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSamplingWasm } from './build.ts';
import { samplingWasmPath } from './load.ts';

describe('wasm kernels', () => {
  it('the committed sampling.wasm is the build of sampling.wat (run `npm run kernels:build -w hub` after editing it)', async () => {
    expect(Buffer.from(await buildSamplingWasm()).equals(readFileSync(samplingWasmPath))).toBe(true);
  });
});
