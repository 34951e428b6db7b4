import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { samplingWasmPath } from './load.ts';

/** sampling.wat to its binary (wabt, a devDependency: only needed when the .wat changes). */
export async function buildSamplingWasm(): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const watPath = fileURLToPath(new URL('./sampling.wat', import.meta.url));
  const parsed = wabt.parseWat(watPath, readFileSync(watPath, 'utf8'), { simd: true });
  try {
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = await buildSamplingWasm();
  writeFileSync(samplingWasmPath, bytes);
  console.log(`${fileURLToPath(samplingWasmPath)}: ${bytes.byteLength} bytes`);
}
