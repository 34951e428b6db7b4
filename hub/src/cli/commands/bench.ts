import os from 'node:os';
import { KhoaError } from '@khoa/protocol';
import type { CliCommand } from '../command.ts';
import { benches } from '../../bench/index.ts';

const usage = `usage: khoa bench [name ...] [--quick]

Runs the benchmarks and prints one JSON document on stdout (progress on stderr).
Without a name, runs all of them: ${'${names}'}.
  --quick   shorter runs (for a smoke test; figures are noisier)`;

export const bench: CliCommand = {
  name: 'bench',
  summary: 'run the broker and pipeline benchmarks, JSON on stdout',
  get usage() {
    return usage.replace('${names}', benches.map((b) => b.name).join(', '));
  },
  async run(argv) {
    const quick = argv.includes('--quick');
    const names = argv.filter((a) => !a.startsWith('--'));
    const unknown = names.filter((n) => !benches.some((b) => b.name === n));
    if (unknown.length) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `unknown bench ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`, { unknown });
    const selected = names.length ? benches.filter((b) => names.includes(b.name)) : benches;
    const results: Record<string, unknown> = {};
    for (const b of selected) {
      process.stderr.write(`bench ${b.name}: ${b.summary}\n`);
      results[b.name] = await b.run({ quick });
    }
    const cpus = os.cpus();
    const doc = {
      machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg() },
      startedAt: new Date().toISOString(),
      results,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  },
};
