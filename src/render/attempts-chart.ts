import type { HourBucket } from '../services/connection-insights';
import { Raster, Rgb, TEXT_HEIGHT, drawText, textWidth } from './png';

/** Slack's own green and red, so the chart reads like the ✅/❌ counts beside it. */
export const CHART_COLORS = {
  successful: [0x2e, 0xb6, 0x7d] as Rgb,
  failed: [0xe0, 0x1e, 0x5a] as Rgb,
  other: [0x9e, 0x9e, 0xa6] as Rgb,
  background: [0xff, 0xff, 0xff] as Rgb,
  grid: [0xe8, 0xe8, 0xea] as Rgb,
  axis: [0x61, 0x60, 0x61] as Rgb,
};

export const CHART_SIZE = { width: 720, height: 260 };
const MARGIN = { left: 60, right: 16, top: 16, bottom: 44 };
const SCALE = 2;

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value`: a y-axis top people can read at a glance. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const two = (n: number) => String(n).padStart(2, '0');

const SPARK = '▁▂▃▄▅▆▇█';

/** One character per hour, blank when empty: the shape of the window in text, for Slack and the terminal. */
export function sparkline(hourly: HourBucket[]): string {
  const totals = hourly.map((bucket) => bucket.successful + bucket.failed + bucket.other);
  const peak = Math.max(0, ...totals);
  if (peak === 0) return '';
  return totals
    .map((total) =>
      total === 0 ? ' ' : SPARK[Math.min(SPARK.length - 1, Math.floor((total / peak) * (SPARK.length - 1)))],
    )
    .join('');
}

/**
 * Attempts per hour as stacked bars (successful, failed, other) over the window, with counts on the
 * y-axis and UTC hours (dates at midnight) on the x-axis. The legend lives in the message beside it.
 */
export function attemptsChartPng(hourly: HourBucket[]): Buffer {
  const { width, height } = CHART_SIZE;
  const raster = new Raster(width, height, CHART_COLORS.background);
  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    w: width - MARGIN.left - MARGIN.right,
    h: height - MARGIN.top - MARGIN.bottom,
  };
  const top = niceCeiling(Math.max(0, ...hourly.map((b) => b.successful + b.failed + b.other)));
  const yOf = (count: number) => plot.y + plot.h - (count / top) * plot.h;

  for (const fraction of [0, 0.25, 0.5, 0.75, 1]) {
    raster.fill(
      plot.x,
      Math.round(yOf(top * fraction)),
      plot.w,
      1,
      fraction === 0 ? CHART_COLORS.axis : CHART_COLORS.grid,
    );
    // Whole numbers only: a 2.5 rounded to "3" would put a wrong count on the axis.
    if (Number.isInteger(top * fraction) && (fraction === 0 || fraction === 0.5 || fraction === 1)) {
      const label = String(Math.round(top * fraction));
      drawText(
        raster,
        label,
        plot.x - 8 - textWidth(label, SCALE),
        Math.round(yOf(top * fraction)) - TEXT_HEIGHT,
        SCALE,
        CHART_COLORS.axis,
      );
    }
  }
  raster.fill(plot.x, plot.y, 1, plot.h, CHART_COLORS.axis);

  const slot = plot.w / Math.max(1, hourly.length);
  const barWidth = Math.max(1, Math.floor(slot * 0.8));
  // Label every k-th hour, k dividing a day, so that "HH:00" labels never overlap.
  const every = [1, 2, 3, 4, 6, 12, 24].find((k) => k * slot >= textWidth('00:00', SCALE) + 8) ?? 24;
  let lastDate = '';
  hourly.forEach((bucket, i) => {
    const x = plot.x + i * slot + (slot - barWidth) / 2;
    let base = plot.y + plot.h;
    for (const [count, color] of [
      [bucket.successful, CHART_COLORS.successful],
      [bucket.failed, CHART_COLORS.failed],
      [bucket.other, CHART_COLORS.other],
    ] as const) {
      if (count === 0) continue;
      const h = Math.max(1, (count / top) * plot.h);
      raster.fill(x, base - h, barWidth, h, color);
      base -= h;
    }
    const at = new Date(bucket.start);
    if (at.getUTCHours() % every !== 0) return;
    const labelX = plot.x + i * slot;
    raster.fill(Math.round(labelX), plot.y + plot.h, 1, 4, CHART_COLORS.axis);
    drawText(raster, `${two(at.getUTCHours())}:00`, labelX + 2, plot.y + plot.h + 8, SCALE, CHART_COLORS.axis);
    const date = `${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())}`;
    if (date !== lastDate) drawText(raster, date, labelX + 2, plot.y + plot.h + 24, SCALE, CHART_COLORS.axis);
    lastDate = date;
  });
  return raster.png();
}
