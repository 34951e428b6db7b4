/**
 * Splits ffmpeg's image2pipe MJPEG byte stream into JPEG images.
 *
 * It walks the marker structure (ITU-T T.81 Annex B) instead of searching for FF D9, so an
 * EOI byte pair inside an APPn segment (an EXIF thumbnail) cannot end a frame early; inside
 * entropy-coded data FF is always followed by 00 (stuffing), a restart marker or a real
 * marker, so scanning there is exact. Width and height are read from the SOF segment on the
 * way, which saves the gate a header decode. A frame inside one pipe chunk is returned as a
 * view of it (no copy); one that spans chunks is copied once. Buffered bytes are bounded by
 * `maxFrameBytes`: a larger frame is dropped and the splitter resynchronises on the next SOI.
 */
export interface JpegFrame {
  data: Buffer;
  width: number;
  height: number;
}

const enum S {
  SeekSoi,
  SeekSoi2,
  Marker,
  MarkerCode,
  Len1,
  Len2,
  Segment,
  Entropy,
  EntropyFf,
}

const isSof = (c: number): boolean => c >= 0xc0 && c <= 0xcf && c !== 0xc4 && c !== 0xc8 && c !== 0xcc;

export class JpegSplitter {
  private state = S.SeekSoi;
  /** Bytes of the current frame from earlier chunks. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private code = 0;
  private remaining = 0;
  private segLen = 0;
  private sof: number[] = [];
  private width = 0;
  private height = 0;
  /** Frames dropped for being over the size bound or malformed. */
  dropped = 0;

  constructor(private readonly maxFrameBytes = 4 * 1024 * 1024) {}

  push(chunk: Buffer): JpegFrame[] {
    const out: JpegFrame[] = [];
    const n = chunk.length;
    // Where this chunk's bytes of the current frame begin (0 when the frame started earlier).
    let from = 0;
    let i = 0;
    while (i < n) {
      const b = chunk[i] as number;
      switch (this.state) {
        case S.SeekSoi: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) {
            i = n;
            continue;
          }
          i = ff;
          this.state = S.SeekSoi2;
          break;
        }
        case S.SeekSoi2:
          if (b === 0xd8) {
            this.width = this.height = 0;
            this.parts = [];
            this.partsBytes = 0;
            if (i === 0) {
              // SeekSoi2 at index 0 means the FF closed the previous chunk, which was not kept.
              this.parts = [Buffer.from([0xff])];
              this.partsBytes = 1;
              from = 0;
            } else from = i - 1;
            this.state = S.Marker;
          } else if (b !== 0xff) this.state = S.SeekSoi;
          break;
        case S.Marker:
          if (b === 0xff) this.state = S.MarkerCode;
          else {
            this.drop();
            continue; // rescan this byte for an SOI
          }
          break;
        case S.MarkerCode:
          if (b === 0xff) break; // fill bytes before a marker code
          this.code = b;
          if (b === 0xd9) {
            out.push(this.finish(chunk, from, i));
            this.state = S.SeekSoi;
          } else if (b === 0x01 || (b >= 0xd0 && b <= 0xd7)) this.state = S.Marker;
          else if (b === 0xd8 || b === 0x00) {
            this.drop();
            continue;
          } else this.state = S.Len1;
          break;
        case S.Len1:
          this.segLen = b << 8;
          this.state = S.Len2;
          break;
        case S.Len2:
          this.segLen |= b;
          if (this.segLen < 2) {
            this.drop();
            break;
          }
          this.remaining = this.segLen - 2;
          this.sof = [];
          this.state = this.remaining > 0 ? S.Segment : this.afterSegment();
          break;
        case S.Segment: {
          if (isSof(this.code) && this.sof.length < 5) {
            this.sof.push(b);
            this.remaining--;
            i++;
          } else {
            const take = Math.min(this.remaining, n - i);
            this.remaining -= take;
            i += take;
          }
          if (this.remaining === 0) {
            if (isSof(this.code) && this.sof.length === 5) {
              this.height = ((this.sof[1] as number) << 8) | (this.sof[2] as number);
              this.width = ((this.sof[3] as number) << 8) | (this.sof[4] as number);
            }
            this.state = this.afterSegment();
          }
          if (this.overLimit(i - from)) this.drop();
          continue;
        }
        case S.Entropy: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) {
            i = n;
            if (this.overLimit(i - from)) this.drop();
            continue;
          }
          i = ff;
          this.state = S.EntropyFf;
          if (this.overLimit(i - from)) {
            this.drop();
            continue;
          }
          break;
        }
        case S.EntropyFf:
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) this.state = S.Entropy;
          else if (b === 0xff) break;
          else if (b === 0xd9) {
            out.push(this.finish(chunk, from, i));
            this.state = S.SeekSoi;
          } else {
            // A marker after a scan: progressive JPEGs carry several (DHT, next SOS).
            this.code = b;
            this.state = S.Len1;
          }
          break;
      }
      i++;
    }
    if (this.inFrame()) {
      this.parts.push(chunk.subarray(from));
      this.partsBytes += n - from;
      if (this.partsBytes > this.maxFrameBytes) this.drop();
    }
    return out;
  }

  private inFrame(): boolean {
    return this.state !== S.SeekSoi && this.state !== S.SeekSoi2;
  }

  private overLimit(inThisChunk: number): boolean {
    return this.partsBytes + inThisChunk > this.maxFrameBytes;
  }

  private afterSegment(): S {
    return this.code === 0xda ? S.Entropy : S.Marker;
  }

  private finish(chunk: Buffer, from: number, eoiAt: number): JpegFrame {
    const tail = chunk.subarray(from, eoiAt + 1);
    const data = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail], this.partsBytes + tail.length);
    this.parts = [];
    this.partsBytes = 0;
    return { data, width: this.width, height: this.height };
  }

  private drop(): void {
    this.dropped++;
    this.parts = [];
    this.partsBytes = 0;
    this.state = S.SeekSoi;
  }
}
