/**
 * A value built once per (object, key) and kept as long as the object lives:
 * bytes shared by every client are cached on the Buffer or the bus read they
 * come from, and go with it.
 * @module
 */
export type WeakMemo<O extends object, K, V> = WeakMap<O, Map<K, V>>;

export function memoized<O extends object, K, V>(memo: WeakMemo<O, K, V>, object: O, key: K, build: () => V): V {
  let byKey = memo.get(object);
  if (!byKey) memo.set(object, (byKey = new Map<K, V>()));
  let value = byKey.get(key);
  if (value === undefined) byKey.set(key, (value = build()));
  return value;
}
