/**
 * `npm run test:soak`: the full load run (2,000 agents, 100 cameras at 1 fps, one hub process)
 * and writes its figures to docs/soak-report.md, which the README links. Slow: several minutes.
 * Sizes can be changed with SOAK_AGENTS, SOAK_CAMERAS, SOAK_SECONDS.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadFigures } from './simulator.ts';
import { fileFrames, media, toJpeg } from '../../hub/src/pipeline/testing/media.ts';

const agents = Number(process.env.SOAK_AGENTS ?? 2000);
const cameras = Number(process.env.SOAK_CAMERAS ?? 100);
const seconds = Number(process.env.SOAK_SECONDS ?? 60);

const clip = await fileFrames(media('vtest-58s-12s.mp4'), 2);
const frames = await Promise.all(clip.slice(0, 24).map((f) => toJpeg(f.image, 70)));
process.stderr.write(`soak: ${agents} agents, ${cameras} cameras, ${seconds} s\n`);
const f: LoadFigures = await runLoad({
  agents,
  cameras,
  fps: 1,
  seconds,
  eventsPerAgentPerMinute: 2,
  forcedShare: 0.05,
  frames,
  frameSize: { width: 768, height: 576 },
  pipelineWorkers: 2,
  progress: (line) => process.stderr.write(`${line}\n`),
});

const rows: Array<[string, string]> = [
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
];
const cpus = os.cpus();
const md = [
  '# Soak report',
  '',
  `Made by \`npm run test:soak\` on ${new Date().toISOString()}: ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}.`,
  `One hub process (embedded broker, SQLite, 2 detector workers) against ${agents} simulated agents (real mqtt.js clients over loopback, each with its own CONNECT, Last Will, registration, heartbeats every 10 s and QoS 1 lock events, about 2 per minute) and ${cameras} cameras sending 768×576 JPEG frames of a street scene at 1 fps for ${seconds} s.`,
  '',
  '| figure | value |',
  '| --- | --- |',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '',
  'Fault and hostile-input suites run in `npm test`: `test/e2e/locks.test.ts` (hub restarted mid-stream: nothing lost or doubled), `test/hostile/mqtt-input.test.ts` (fuzzed topics, payloads and raw MQTT packets), the edge agent\'s broker-restart and queue tests, and the camera tests (RTSP server killed and restarted).',
  '',
].join('\n');
const out = fileURLToPath(new URL('../../docs/soak-report.md', import.meta.url));
writeFileSync(out, md);
process.stdout.write(`${JSON.stringify(f, null, 2)}\nwritten to ${out}\n`);
