import type { Bench } from './types.ts';

/** The frame pipeline's figures (see pipeline-run.ts); loaded on use, as it brings ORT and sharp. */
export const pipelineBench: Bench = {
  name: 'pipeline',
  summary: 'frame pipeline: ms per stage at 640x360 and 1280x720, overhead over bare ORT run(), cameras per core, 1/4/16-camera throughput, memory per camera',
  async run({ quick }) {
    const { benchPipeline } = await import('./pipeline-run.ts');
    return benchPipeline({ seconds: quick ? 3 : 8, log: (line) => void process.stderr.write(`${line}\n`) });
  },
};
