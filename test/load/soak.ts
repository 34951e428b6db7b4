/**
 * `npm run test:soak`: the full reliability run, written to docs/soak-report.md (the README
 * links it). Three parts, each a table in the report:
 * - load: 2,000 agents and 100 cameras at 1 fps against one hub process;
 * - faults: every scenario of test/faults/scenarios.ts at its full size;
 * - hostile input: the fuzz campaign of test/hostile/campaign.ts.
 * Slow: about half an hour on a 2-core machine. SOAK_PARTS=load,faults,hostile picks parts
 * (a part not run keeps its table from the last report); sizes: SOAK_AGENTS, SOAK_CAMERAS,
 * SOAK_SECONDS, SOAK_FUZZ (inputs per surface).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runLoad } from './simulator.ts';
import { fileFrames, media, toJpeg } from '../../hub/src/pipeline/testing/media.ts';
import { scenarios } from '../faults/scenarios.ts';
import type { FaultOutcome } from '../faults/scenario.ts';
import { runHostileCampaign } from '../hostile/campaign.ts';

const parts = new Set((process.env.SOAK_PARTS ?? 'load,faults,hostile').split(',').map((p) => p.trim()));
const out = fileURLToPath(new URL('../../docs/soak-report.md', import.meta.url));
const say = (line: string) => process.stderr.write(`${line}\n`);
/** When a section was measured: a partial run keeps the other sections from an earlier one. */
const stamp = () => `Run on ${new Date().toISOString()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} at its end.`;
const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`)].join('\n');

/** The sections of the last report, so a partial run replaces only its own. */
function previousSections(): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(out)) return sections;
  for (const block of readFileSync(out, 'utf8').split(/^(?=## )/m).slice(1)) sections.set(block.split('\n', 1)[0]!, block.trimEnd());
  return sections;
}

async function loadSection(): Promise<string> {
  const agents = Number(process.env.SOAK_AGENTS ?? 2000);
  const cameras = Number(process.env.SOAK_CAMERAS ?? 100);
  const seconds = Number(process.env.SOAK_SECONDS ?? 60);
  const clip = await fileFrames(media('vtest-58s-12s.mp4'), 2);
  const frames = await Promise.all(clip.slice(0, 24).map((fr) => toJpeg(fr.image, 70)));
  say(`soak load: ${agents} agents, ${cameras} cameras, ${seconds} s`);
  const f = await runLoad({ agents, cameras, fps: 1, seconds, eventsPerAgentPerMinute: 2, forcedShare: 0.05, frames, frameSize: { width: 768, height: 576 }, pipelineWorkers: 2, progress: say });
  process.stdout.write(`${JSON.stringify({ load: f })}\n`);
  return [
    '## Load',
    '',
    stamp(),
    '',
    `One hub process (embedded broker, SQLite, 2 detector workers) against ${agents} simulated agents (real mqtt.js clients over loopback, each with its own CONNECT, Last Will, registration, heartbeats every 10 s and QoS 1 lock events, about 2 per minute) and ${cameras} cameras sending 768×576 JPEG frames of a street scene at 1 fps for ${seconds} s.`,
    '',
    table(['figure', 'value'], [
      ['agents connected and held', `${f.connectionsHeld} of ${f.agents} (lost during the run: ${f.connectionsLost})`],
      ['time for all agents to connect (argon2id per CONNECT)', `${f.connectSeconds} s`],
      ['lock events sent / stored', `${f.eventsSent} / ${f.eventsStored} (${f.eventsSent - f.eventsStored} lost)`],
      ['lock events stored per second', String(f.eventsPerSecond)],
      ['forced doors sent / door_forced alerts', `${f.forcedSent} / ${f.alertsRaised}`],
      ['alert latency, event publish to alert stored, p50 / p99', `${f.alertLatencyP50Ms} ms / ${f.alertLatencyP99Ms} ms`],
      ['camera frames sent / analysed / dropped (newest wins)', `${f.framesSent} / ${f.framesAnalysed} / ${f.framesDropped}`],
      ['hub CPU, mean / max (100 % = one core)', `${f.hubCpuPercentMean} % / ${f.hubCpuPercentMax} %`],
      ['hub resident memory, max', `${f.hubRssMBMax} MB`],
      ['graceful stop under load', `${f.hubStopSeconds} s, exit code ${f.hubExitCode}`],
    ]),
  ].join('\n');
}

async function faultsSection(): Promise<string> {
  const rows: string[][] = [];
  for (const s of scenarios) {
    say(`soak fault: ${s.id}`);
    const t0 = Date.now();
    let o: FaultOutcome;
    try {
      o = await s.run({ progress: say });
    } catch (err) {
      // One scenario that cannot run is a row of the report, not the end of the run.
      rows.push([s.title, 'did not run', '', '', '', '', '', (err as Error).message.slice(0, 300)]);
      continue;
    }
    process.stdout.write(`${JSON.stringify({ scenario: s.id, seconds: Math.round((Date.now() - t0) / 1000), ...o })}\n`);
    rows.push([
      `${s.title}: ${o.fault}`,
      `${o.sent}${o.unit ? ` ${o.unit}` : ''}`,
      String(o.stored),
      String(o.lost),
      String(o.doubled),
      `${o.alertsRaised} / ${o.alertsExpected}`,
      o.recoverySeconds === null ? 'never' : `${o.recoverySeconds} s`,
      o.notes ?? '',
    ]);
  }
  return [
    '## Faults',
    '',
    stamp(),
    '',
    'Each fault injected into a running system of real parts (hub process or in-process hub, real agents or mqtt.js clients, SQLite files), at the sizes in `test/faults/*.ts`. Goal: no lock event and no alert lost, none doubled. "Recovery" runs from the end of the fault until everything sent is stored and the clients are back.',
    '',
    table(['fault', 'sent', 'stored once', 'lost', 'doubled', 'alerts raised / expected', 'recovery', 'notes'], rows),
  ].join('\n');
}

async function hostileSection(): Promise<string> {
  const perSurface = Number(process.env.SOAK_FUZZ ?? 2000);
  say(`soak hostile: ${perSurface} inputs per surface`);
  const surfaces = await runHostileCampaign({ perSurface, progress: say });
  process.stdout.write(`${JSON.stringify({ hostile: surfaces })}\n`);
  return [
    '## Hostile input',
    '',
    stamp(),
    '',
    `Fuzzed and hand-made hostile inputs against one hub (${perSurface} per surface, \`test/hostile/campaign.ts\`). Goal: every one refused with a coded error or handled, no crash, memory bounded.`,
    '',
    table(
      ['surface', 'inputs tried', 'refused with a coded error', 'refused without a code', 'valid by chance, handled', 'hub crashes', 'memory growth of the process'],
      surfaces.map((s) => [s.surface, String(s.tried), String(s.refusedWithCodedError), String(s.refusedUncoded), String(s.accepted), String(s.crashes), `${s.hubRssGrowthMB} MB`]),
    ),
    '',
    'The hub runs inside the campaign\'s process, so the memory column includes the campaign\'s own inputs.',
  ].join('\n');
}

const sections = previousSections();
if (parts.has('load')) sections.set('## Load', await loadSection());
if (parts.has('faults')) sections.set('## Faults', await faultsSection());
if (parts.has('hostile')) sections.set('## Hostile input', await hostileSection());

const cpus = os.cpus();
const md = [
  '# Soak report',
  '',
  `Made by \`npm run test:soak\` on ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; each section says when it ran.`,
  'The same fault and hostile-input suites run in `npm test` at smaller sizes (`test/faults/*.test.ts`, `test/hostile/*.test.ts`).',
  '',
  ...['## Load', '## Faults', '## Hostile input'].flatMap((k) => (sections.has(k) ? [sections.get(k)!, ''] : [])),
].join('\n');
writeFileSync(out, md);
say(`written to ${out}`);
