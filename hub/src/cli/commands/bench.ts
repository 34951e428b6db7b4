import type { CliCommand } from '../command.ts';

/** One benchmark: `khoa bench <name>`. Add one by adding a line to `benches`. */
export interface Bench {
  name: string;
  summary: string;
  /** Resolves to the JSON-able figures; progress lines go to `log` (stderr). */
  run(log: (line: string) => void): Promise<unknown>;
}

/** Every benchmark, in the order `khoa bench` runs them. Loaded lazily: they pull in ORT, sharp, brokers. */
export const benches: Bench[] = [
  { name: 'pipeline', summary: 'frame pipeline: per-stage ms, overhead over bare ORT, cameras per core, throughput, memory', run: async (log) => (await import('../../bench/pipeline.ts')).benchPipeline({ log }) },
];

const usage = `usage: khoa bench [${benches.map((b) => b.name).join('|')}]...

Runs the named benchmarks (all when none is named) and prints one JSON document on stdout,
{ "<name>": { ...figures } }. Progress goes to stderr.

${benches.map((b) => `  ${b.name.padEnd(10)} ${b.summary}`).join('\n')}`;

async function run(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => !benches.some((b) => b.name === a));
  if (unknown.length) {
    console.error(`khoa bench: unknown benchmark ${unknown.join(', ')}\n\n${usage}`);
    return 2;
  }
  const chosen = argv.length ? benches.filter((b) => argv.includes(b.name)) : benches;
  const out: Record<string, unknown> = {};
  for (const b of chosen) {
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    const started = Date.now();
    out[b.name] = await b.run(log);
    log(`bench ${b.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}

export const bench: CliCommand = { name: 'bench', summary: 'run benchmarks (pipeline, ...) and print JSON', usage, run };
