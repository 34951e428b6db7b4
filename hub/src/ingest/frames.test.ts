import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, topics, type DecodedFrame } from '@khoa/protocol';
import { metricValue, startTestHub, waitFor, type TestHub } from '../testing/harness.ts';
import type { FrameSink, FrameSource } from './frame-sink.ts';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

describe('frames reach the FrameSink', () => {
  let t: TestHub;
  const offered: Array<{ source: FrameSource; frame: DecodedFrame }> = [];
  let accept = true;
  const sink: FrameSink = {
    offer(source, frame) {
      // The JPEG is a view into the MQTT packet: a real sink copies it before keeping it.
      offered.push({ source, frame: { header: frame.header, jpeg: Buffer.from(frame.jpeg) } });
      return accept;
    },
  };
  const dev = { householdId: 'hh-f', deviceId: 'agent-f' };
  beforeAll(async () => {
    t = await startTestHub(undefined, {}, { frameSink: sink });
  });
  afterAll(() => t?.close());

  it('offers a valid frame with its source, and counts the ones the sink drops', async () => {
    const c = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
    const header = { seq: 1, ts: Date.now(), width: 640, height: 360, keyframe: true, motion: false };
    await c.publishAsync(topics.camFrame(dev, 'cam-1'), encodeFrame(header, jpeg), { qos: 0 });
    await waitFor(() => offered.length === 1, 5000, 'frame offered');
    expect(offered[0]?.source).toMatchObject({ householdId: 'hh-f', deviceId: 'agent-f', cameraId: 'cam-1' });
    expect(offered[0]?.frame.header).toEqual(header);
    expect(offered[0]?.frame.jpeg.equals(jpeg)).toBe(true);

    accept = false;
    await c.publishAsync(topics.camFrame(dev, 'cam-1'), encodeFrame({ ...header, seq: 2 }, jpeg), { qos: 1 });
    expect(await metricValue(t.hub, 'khoa_payload_rejected_total', { kind: 'cam_frame', reason: 'sink_dropped' })).toBe(1);
    expect(await metricValue(t.hub, 'khoa_mqtt_messages_in_total', { kind: 'cam_frame' })).toBe(2);
  });
});
