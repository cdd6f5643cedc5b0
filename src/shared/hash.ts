/**
 * 32-bit string hash: FNV-1a over UTF-16 code units, then murmur3's finalizer so that similar
 * strings ("host-1", "host-2") land far apart. Deterministic across processes and versions, which
 * subsetting and consistent hashing need: every client must map a key to the same instance.
 */
export const hash32 = (s: string, seed = 0x811c9dc5): number => {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
};

/** murmur3's fmix32: a bijective avalanche of a 32-bit integer. */
export const mix32 = (x: number): number => {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};
