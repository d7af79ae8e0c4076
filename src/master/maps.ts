// A map of maps, as the master keeps per-node state (deletes queued or handed out, chunks taken).

/** The inner map of `outer` at `key`, made empty on first use. */
export function innerMap<K, IK, V>(outer: Map<K, Map<IK, V>>, key: K): Map<IK, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}
