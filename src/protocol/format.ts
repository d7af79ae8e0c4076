// Human-readable numbers (and the cluster's health in a word) shared by the CLI and the pages.

import type { ClusterStatus } from './types.js';

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A duration in ms as `3s`, `4m 10s`, `2h 5m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** How long ago `time` was, as `12s ago`. */
export function formatAgo(time: number, now = Date.now()): string {
  return time ? `${formatDuration(now - time)} ago` : 'never';
}

/** A timestamp as `2026-11-25 20:32` in UTC. */
export function formatTime(time: number): string {
  return time ? new Date(time).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

/**
 * A cluster's health in one word, as the CLI and the dashboard show it: lost while a chunk has no
 * live copy (its files cannot be read), degraded while anything is short of the plan (a node
 * dead, a copy missing or rotten, the metadata store not answering).
 */
export function healthOf(
  s: Pick<ClusterStatus, 'underReplicated' | 'missing' | 'corrupt' | 'nodes' | 'metadataAnswering'>,
): 'healthy' | 'degraded' | 'lost' {
  if (s.missing > 0) return 'lost';
  const ok =
    s.underReplicated === 0 && s.corrupt === 0 && s.nodes.dead === 0 && s.metadataAnswering !== false;
  return ok ? 'healthy' : 'degraded';
}
