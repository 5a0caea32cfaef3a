import * as zlib from 'node:zlib';
import { CHART_COLORS, CHART_SIZE, attemptsChartPng, niceCeiling } from '../../src/render/attempts-chart';
import { Raster } from '../../src/render/png';
import type { HourBucket } from '../../src/services/connection-insights';

const HOUR = 3_600_000;
const FROM = Date.parse('2026-03-01T00:00:00Z');

/** A PNG decoder for what the encoder promises (8-bit RGB, filter 0, one deflate stream), checking every CRC. */
function decode(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + length);
    const crc = png.readUInt32BE(at + 8 + length);
    // zlib's own CRC-32, not the encoder's table.
    if ('crc32' in zlib)
      expect(crc).toBe(
        (zlib as unknown as { crc32(data: Buffer): number }).crc32(png.subarray(at + 4, at + 8 + length)),
      );
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const header = chunks[0].data;
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  expect([...header.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
  const raw = zlib.inflateSync(chunks[1].data);
  expect(raw.length).toBe(height * (width * 3 + 1));
  for (let row = 0; row < height; row++) expect(raw[row * (width * 3 + 1)]).toBe(0);
  return {
    width,
    height,
    pixel: (x, y) => [...raw.subarray(y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 4 + x * 3)],
  };
}

const bucket = (i: number, successful: number, failed: number, other = 0): HourBucket => ({
  start: FROM + i * HOUR,
  successful,
  failed,
  other,
});

describe('attemptsChartPng', () => {
  it('draws a valid PNG with a tall red bar in the flood hour and short green bars elsewhere', () => {
    const hourly = Array.from({ length: 24 }, (_, i) => (i === 9 ? bucket(i, 2, 3600) : bucket(i, 20, 1)));
    const image = decode(attemptsChartPng(hourly));
    expect([image.width, image.height]).toEqual([CHART_SIZE.width, CHART_SIZE.height]);

    const plotLeft = 60;
    const slot = (CHART_SIZE.width - 60 - 16) / 24;
    const centre = (i: number) => Math.round(plotLeft + i * slot + slot / 2);
    const plotBottom = CHART_SIZE.height - 44;
    // 3,602 of a 5,000 axis reaches 72% of the plot's height; 60% is inside the flood's bar and far above the others.
    const high = plotBottom - Math.round(0.6 * (CHART_SIZE.height - 16 - 44));
    expect(image.pixel(centre(9), high)).toEqual([...CHART_COLORS.failed]);
    expect(image.pixel(centre(3), high)).toEqual([...CHART_COLORS.background]);
    expect(image.pixel(centre(3), plotBottom - 1)).toEqual([...CHART_COLORS.successful]);
  });

  it('draws an empty window without failing', () => {
    const image = decode(attemptsChartPng(Array.from({ length: 169 }, (_, i) => bucket(i, 0, 0))));
    expect(image.width).toBe(CHART_SIZE.width);
  });

  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [11, 20],
    [3600, 5000],
    [5000, 5000],
    [100_001, 200_000],
  ])('puts the y-axis top for a peak of %p at %p', (peak, top) => {
    expect(niceCeiling(peak)).toBe(top);
  });

  it('refuses a raster too large to be a chart', () => {
    expect(() => new Raster(100_000, 100_000, CHART_COLORS.background)).toThrow(RangeError);
    expect(() => new Raster(0, 10, CHART_COLORS.background)).toThrow(RangeError);
  });
});
