import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { JpegSplitter } from './jpeg-splitter.ts';
import { jpegSize } from './jpeg-size.ts';
import { ffmpegPath } from './ffmpeg-path.ts';

// Ten real frames from ffmpeg's MJPEG encoder, as image2pipe writes them.
const stream = execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10', '-frames:v', '10', '-c:v', 'mjpeg', '-f', 'image2pipe', '-'], {
  maxBuffer: 16 << 20,
});

function frameBounds(buf: Buffer): Buffer[] {
  const one = new JpegSplitter();
  return one.push(buf).map((f) => Buffer.from(f.data));
}

describe('JpegSplitter', () => {
  const whole = frameBounds(stream);

  it('finds every frame and its size in one chunk, returning views', () => {
    expect(whole).toHaveLength(10);
    const s = new JpegSplitter();
    const frames = s.push(stream);
    expect(frames[0]?.data.buffer).toBe(stream.buffer);
    for (const f of frames) expect([f.width, f.height]).toEqual([320, 180]);
    expect(Buffer.concat(whole).equals(stream)).toBe(true);
  });

  it('gives the same frames whatever the chunking, including 1-byte chunks', () => {
    for (const size of [1, 2, 7, 100, 4096, 65536]) {
      const s = new JpegSplitter();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...s.push(stream.subarray(i, i + size)).map((f) => f.data));
      expect(got.length).toBe(10);
      got.forEach((g, i) => expect(g.equals(whole[i] as Buffer)).toBe(true));
    }
  });

  it('skips garbage between frames and an FF D9 inside an APP segment', () => {
    const f0 = whole[0] as Buffer;
    // APP1 segment holding FF D9, inserted after SOI: a naive EOI search would cut the frame there.
    const app1 = Buffer.from([0xff, 0xe1, 0x00, 0x06, 0xff, 0xd9, 0xff, 0xd9]);
    const tricky = Buffer.concat([f0.subarray(0, 2), app1, f0.subarray(2)]);
    const s = new JpegSplitter();
    const got = s.push(Buffer.concat([Buffer.from('junk\xff\x00junk'), tricky, Buffer.from([0x00, 0xff]), f0]));
    expect(got.map((g) => g.data.length)).toEqual([tricky.length, f0.length]);
    expect(jpegSize(tricky)).toEqual({ width: 320, height: 180 });
  });

  it('drops a frame over the size bound and recovers on the next one', () => {
    const f0 = whole[0] as Buffer;
    const s = new JpegSplitter(f0.length - 10);
    const small = new JpegSplitter(f0.length - 10);
    expect(s.push(Buffer.concat([f0, f0])).length).toBe(0);
    expect(s.dropped).toBe(2);
    // A frame that fits after an oversized one still comes through.
    const tiny = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    expect(small.push(Buffer.concat([f0, tiny]))).toHaveLength(1);
  });
});
