// Human-readable numbers and times for the pages (the same units as the CLI).

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** `1536` → `1.5 KiB`. */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '–';
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** A transfer rate in bytes per second as `2.5 MiB/s`. */
export function formatRate(bytesPerSecond) {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** A timestamp (ms) in the reader's own locale and time zone. */
export function formatTime(ms) {
  return ms ? WHEN.format(new Date(ms)) : '–';
}
