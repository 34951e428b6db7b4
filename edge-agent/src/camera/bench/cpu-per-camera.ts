/**
 * Agent CPU and memory per camera: N cameras reading a 640×360 H.264 RTSP stream from
 * GStreamer's RTSP server, captured at 5 fps through the full camera path (ffmpeg → splitter
 * → motion gate → a sink that encodes the frame envelope and drops it).
 *
 *   npx tsx edge-agent/src/camera/bench/cpu-per-camera.ts [--cameras 1] [--seconds 30] [--video FILE] [--quiet]
 *
 * CPU is read from /proc: this process (the agent's share: splitting, gating, envelopes) and
 * its ffmpeg children (RTSP, H.264 decode, scale, MJPEG encode). The RTSP server is not counted.
 * JSON on stdout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '@khoa/protocol';
import { startRtspServer } from '../../../../test/fixtures/rtsp-server.ts';
import { CameraManager } from '../camera-manager.ts';
import { ffmpegPath } from '../capture/ffmpeg-path.ts';
import { childrenNamed, procCpuMs, procPrivateBytes, procPssBytes, procRssBytes } from './proc-stats.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const cameras = Number(arg('cameras') ?? 1);
const seconds = Number(arg('seconds') ?? 30);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'khoa-cpu-bench-'));
const clip = join(dir, 'cam.mp4');
const src = arg('video') ?? (existsSync(VTEST) ? VTEST : undefined);
// The camera's sub-stream: 640×360 H.264 at 10 fps, baseline, a keyframe every second.
const quiet = process.argv.includes('--quiet');
// --quiet: the first frame held still with sensor noise, so the gate drops nearly everything.
const input = src ? ['-stream_loop', quiet ? '0' : '3', '-i', src] : ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10', '-t', '300'];
const still = quiet ? 'trim=end_frame=1,loop=loop=1199:size=1,setpts=N/10/TB,' : '';
const noise = quiet ? ',noise=alls=6:allf=t' : '';
execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...input, '-vf', `${still}scale=640:360,fps=10${noise},format=yuv420p`, '-c:v', 'libx264', '-profile:v', 'baseline', '-g', '10', '-preset', 'veryfast', '-an', clip]);

const rtsp = await startRtspServer({ file: clip });
let sent = 0;
let bytes = 0;
const mgr = new CameraManager({
  cameras: Array.from({ length: cameras }, (_, i) => ({ id: `cam${i}`, rtspUrl: rtsp.url, fps: 5, width: 640 })),
  sink: {
    publishFrame(_id, header, jpeg) {
      bytes += encodeFrame(header, jpeg).length;
      sent++;
    },
    publishCameraState() {},
  },
});
const rssBefore = process.memoryUsage().rss;
mgr.start();
await sleep(6000); // connect, first keyframes, JIT warm-up

const ff0 = childrenNamed('ffmpeg');
const cpu0 = process.cpuUsage();
const ffCpu0 = ff0.map(procCpuMs);
const t0 = Date.now();
const stats0 = mgr.stats();
let nodeRssMax = 0;
let ffRssMax = 0;
let ffPssMax = 0;
let ffPrivateMax = 0;
while (Date.now() - t0 < seconds * 1000) {
  await sleep(1000);
  nodeRssMax = Math.max(nodeRssMax, process.memoryUsage().rss);
  ffRssMax = Math.max(ffRssMax, ff0.reduce((s, p) => s + procRssBytes(p), 0));
  ffPssMax = Math.max(ffPssMax, ff0.reduce((s, p) => s + procPssBytes(p), 0));
  ffPrivateMax = Math.max(ffPrivateMax, ff0.reduce((s, p) => s + procPrivateBytes(p), 0));
}
const wall = Date.now() - t0;
const cpu1 = process.cpuUsage(cpu0);
const ffCpu = ff0.map(procCpuMs).reduce((s, v, i) => s + v - (ffCpu0[i] as number), 0);
const stats1 = mgr.stats();
await mgr.stop();
await rtsp.kill();
rmSync(dir, { recursive: true, force: true });

const framesIn = Object.keys(stats1).reduce((s, k) => s + (stats1[k]?.framesIn ?? 0) - (stats0[k]?.framesIn ?? 0), 0);
const nodePct = ((cpu1.user + cpu1.system) / 1000 / wall) * 100;
const ffPct = (ffCpu / wall) * 100;
const MB = 1024 * 1024;
console.log(
  JSON.stringify(
    {
      bench: 'camera-cpu-per-camera',
      cameras,
      stream: '640x360 H.264 10 fps over RTSP/TCP (GStreamer), captured at 5 fps',
      video: `${src ?? 'testsrc2'}${quiet ? ' (first frame held, sensor noise)' : ''}`,
      seconds: wall / 1000,
      framesPerSecondPerCamera: +(framesIn / cameras / (wall / 1000)).toFixed(2),
      cpuPercentOfOneCore: { agentNode: +nodePct.toFixed(1), ffmpeg: +ffPct.toFixed(1), total: +(nodePct + ffPct).toFixed(1), perCamera: +((nodePct + ffPct) / cameras).toFixed(1) },
      memoryMB: { agentRssPeak: +(nodeRssMax / MB).toFixed(1), agentRssGrowth: +((nodeRssMax - rssBefore) / MB).toFixed(1), ffmpegRssPeakPerCamera: +(ffRssMax / cameras / MB).toFixed(1), ffmpegPssPeakPerCamera: +(ffPssMax / cameras / MB).toFixed(1), ffmpegPrivatePeakPerCamera: +(ffPrivateMax / cameras / MB).toFixed(1) },
      ffmpegProcesses: ff0.length,
      gate: { sentFrames: sent, sentBytes: bytes },
      ffmpegAfterStop: childrenNamed('ffmpeg').length,
    },
    null,
    1,
  ),
);
