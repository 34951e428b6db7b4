import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { cameraStateValidator, decodeFrame, encodeFrame, parseJsonPayload, parseTopic, topics, type DecodedFrame } from '@khoa/protocol';
import { CameraManager, type CameraSink } from '../edge-agent/src/camera/index.ts';
import { ffmpegPath } from '../edge-agent/src/camera/capture/ffmpeg-path.ts';

/**
 * The camera side wired to a real broker the way the agent core will wire it: frames QoS 0 in
 * the KF envelope on `…/cam/{id}/frame`, states retained on `…/cam/{id}/state`; a hub-side
 * client decodes what arrives.
 */
const device = { householdId: 'hh-1', deviceId: 'agent-1' };

function sinkFor(client: MqttClient): CameraSink {
  return {
    publishFrame(id, header, jpeg) {
      client.publish(topics.camFrame(device, id), encodeFrame(header, jpeg), { qos: 0 });
    },
    publishCameraState(id, msg) {
      return new Promise<void>((resolve, reject) =>
        client.publish(topics.camState(device, id), JSON.stringify(msg), { qos: 1, retain: true }, (err) => (err ? reject(err) : resolve())),
      );
    },
  };
}

describe('camera frames and states over MQTT (aedes + mqtt.js)', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'khoa-cam-mqtt-'));
    clip = join(dir, 'moving.mp4');
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers gated frames and a retained state the hub can decode', async () => {
    const agent = await mqtt.connectAsync(url, { clientId: device.deviceId });
    const hub = await mqtt.connectAsync(url, { clientId: 'hub-test' });
    const frames: DecodedFrame[] = [];
    hub.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      if (t?.kind !== 'cam_frame') return;
      const d = decodeFrame(payload);
      if (d.ok) frames.push(d.value);
    });
    await hub.subscribeAsync(topics.hubFilters().frames, { qos: 0 });
    const mgr = new CameraManager({ cameras: [{ id: 'gate-cam', file: clip, fps: 5 }], sink: sinkFor(agent) });
    mgr.start();
    try {
      const until = Date.now() + 15_000;
      while (frames.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(frames.length).toBeGreaterThanOrEqual(3);
      expect(frames[0]?.header).toMatchObject({ width: 640, height: 360, keyframe: true });
      expect(frames[0]?.jpeg[0]).toBe(0xff);
      const seqs = frames.map((f) => f.header.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

      // A client arriving later still learns the camera's state: it is retained.
      const late = await mqtt.connectAsync(url, { clientId: 'hub-late' });
      const state = new Promise<unknown>((resolve) =>
        late.on('message', (_t, payload) => {
          const r = parseJsonPayload(cameraStateValidator, payload);
          if (r.ok) resolve(r.value);
        }),
      );
      await late.subscribeAsync(topics.camState(device, 'gate-cam'));
      expect(await state).toMatchObject({ state: 'streaming' });
      await late.endAsync();
    } finally {
      await mgr.stop();
      await agent.endAsync();
      await hub.endAsync();
    }
  });
});
