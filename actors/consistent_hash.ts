/**
 * Consistent hashing of actor addresses onto a fixed pool of Workers.
 *
 * @module
 */

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so that near-identical names spread out.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * A hash ring with virtual nodes: each address maps to the first node clockwise
 * of its hash, so adding a Worker moves only about 1/n of the actors.
 *
 * @example
 * ```ts
 * const ring = new HashRing(4);
 * ring.nodeFor("turbine/7"); // a number in 0..3, the same every time
 * ```
 */
export class HashRing {
  #points: Uint32Array;
  #nodes: Uint32Array;

  constructor(nodeCount: number, virtualNodes = 128) {
    if (!Number.isInteger(nodeCount) || nodeCount < 1) {
      throw new RangeError(`A hash ring needs at least one node, got ${nodeCount}`);
    }
    const points: { point: number; node: number }[] = [];
    for (let node = 0; node < nodeCount; node++) {
      for (let v = 0; v < virtualNodes; v++) {
        points.push({ point: fnv1a(`worker-${node}#${v}`), node });
      }
    }
    points.sort((a, b) => a.point - b.point);
    this.#points = Uint32Array.from(points, (p) => p.point);
    this.#nodes = Uint32Array.from(points, (p) => p.node);
  }

  /** The node that owns `key`. */
  nodeFor(key: string): number {
    const hash = fnv1a(key);
    let low = 0;
    let high = this.#points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#points[mid] < hash) low = mid + 1;
      else high = mid;
    }
    return this.#nodes[low === this.#points.length ? 0 : low];
  }
}
