import type { Bench } from './types.ts';

/** Scale-out mode's figure (see scale-out/bench-run.ts); needs the machine's Mosquitto and PostgreSQL. */
export const scaleOutBench: Bench = {
  name: 'scale-out',
  summary: 'frames/s through detection with one and with two hub processes on an external MQTT broker and PostgreSQL (ratio); lock events/s through one hub',
  async run({ quick }) {
    const { benchScaleOut } = await import('../scale-out/bench-run.ts');
    return benchScaleOut({ seconds: quick ? 8 : 20, log: (line) => void process.stderr.write(`${line}\n`) });
  },
};
