import { deflateSync } from 'node:zlib';

/**
 * A truecolour raster and its PNG encoding (RFC 2083: IHDR, one IDAT, IEND), by hand: a chart needs
 * rectangles and a few digits, not a native canvas library in every Lambda bundle.
 */

export type Rgb = readonly [number, number, number];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class Raster {
  private readonly rgb: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 1 ||
      height < 1 ||
      width * height > 4_000_000
    ) {
      throw new RangeError(`a raster is 1 to 4 million pixels, not ${width}×${height}`);
    }
    this.rgb = Buffer.alloc(width * height * 3);
    this.fill(0, 0, width, height, background);
  }

  /** A rectangle, clipped to the raster. */
  fill(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let row = y0; row < y1; row++) {
      for (let col = x0; col < x1; col++) {
        const at = (row * this.width + col) * 3;
        this.rgb[at] = color[0];
        this.rgb[at + 1] = color[1];
        this.rgb[at + 2] = color[2];
      }
    }
  }

  pixel(x: number, y: number): Rgb {
    const at = (y * this.width + x) * 3;
    return [this.rgb[at], this.rgb[at + 1], this.rgb[at + 2]];
  }

  png(): Buffer {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.set([8, 2, 0, 0, 0], 8);
    const stride = this.width * 3;
    const scanlines = Buffer.alloc((stride + 1) * this.height);
    // Filter type 0 (None) on every row: flat-colour charts deflate well without prediction.
    for (let row = 0; row < this.height; row++)
      this.rgb.copy(scanlines, row * (stride + 1) + 1, row * stride, (row + 1) * stride);
    return Buffer.concat([
      SIGNATURE,
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(scanlines, { level: 9 })),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

/** 3×5 pixel glyphs, one string of bits per row: enough for axis labels (times, dates, counts). */
const GLYPHS: Record<string, string[]> = {
  '0': ['111', '101', '101', '101', '111'],
  '1': ['010', '110', '010', '010', '111'],
  '2': ['111', '001', '111', '100', '111'],
  '3': ['111', '001', '111', '001', '111'],
  '4': ['101', '101', '111', '001', '001'],
  '5': ['111', '100', '111', '001', '111'],
  '6': ['111', '100', '111', '101', '111'],
  '7': ['111', '001', '001', '001', '001'],
  '8': ['111', '101', '111', '101', '111'],
  '9': ['111', '101', '111', '001', '111'],
  ':': ['000', '010', '000', '010', '000'],
  '-': ['000', '000', '111', '000', '000'],
  ' ': ['000', '000', '000', '000', '000'],
};

/** Width in pixels of `text` drawn at `scale` (a glyph and a one-pixel gap per character). */
export const textWidth = (text: string, scale: number) => Math.max(0, text.length * 4 * scale - scale);
export const TEXT_HEIGHT = 5;

/** Characters without a glyph are drawn as blanks: labels are ours, built from numbers. */
export function drawText(raster: Raster, text: string, x: number, y: number, scale: number, color: Rgb): void {
  [...text].forEach((char, i) => {
    const glyph = GLYPHS[char] ?? GLYPHS[' '];
    glyph.forEach((bits, row) => {
      for (let col = 0; col < 3; col++)
        if (bits[col] === '1') raster.fill(x + (i * 4 + col) * scale, y + row * scale, scale, scale, color);
    });
  });
}
