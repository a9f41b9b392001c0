/**
 * Compact per-turbine storage of readings in typed arrays (no row objects),
 * filled while files stream in, then sorted by time with duplicates dropped.
 * Missing values are `NaN`.
 */

/** One turbine's readings, sorted by time with one row per timestamp. */
export interface TurbineSeries {
  turbineId: number;
  /** Epoch milliseconds, strictly increasing. */
  time: Float64Array;
  power: Float64Array;
  windSpeed: Float64Array;
  windDirection: Float64Array;
  /** Bit flags per row saying which values were imputed (see `IMPUTED_*` in clean.ts). */
  imputed: Uint8Array;
}

/** The sorted series and how many duplicate rows were dropped, per input file index. */
export interface DeduplicatedSeries {
  series: TurbineSeries;
  duplicatesByFile: Map<number, number>;
}

/**
 * Collects one turbine's rows in arrival order, in growable typed arrays.
 *
 * @example
 * ```ts
 * import { SeriesBuilder } from "./turbine_series.ts";
 * const builder = new SeriesBuilder(7);
 * builder.push(1646092800000, 2.7, 11.8, 169, 0);
 * console.log(builder.finish().series.power); // Float64Array [2.7]
 * ```
 */
export class SeriesBuilder {
  /** The turbine these rows belong to. */
  readonly turbineId: number;
  #length = 0;
  #time = new Float64Array(256);
  #power = new Float64Array(256);
  #windSpeed = new Float64Array(256);
  #windDirection = new Float64Array(256);
  #file = new Uint32Array(256);

  /** Starts an empty series for `turbineId`. */
  constructor(turbineId: number) {
    this.turbineId = turbineId;
  }

  /** Number of rows pushed so far. */
  get length(): number {
    return this.#length;
  }

  /** Appends one row; `file` is the index of the input file it came from. */
  push(time: number, power: number, windSpeed: number, windDirection: number, file: number): void {
    if (this.#length === this.#time.length) this.#grow();
    const i = this.#length++;
    this.#time[i] = time;
    this.#power[i] = power;
    this.#windSpeed[i] = windSpeed;
    this.#windDirection[i] = windDirection;
    this.#file[i] = file;
  }

  /**
   * Sorts the rows by time and keeps the first row seen for each timestamp
   * (arrival order is file order, then line order).
   */
  finish(): DeduplicatedSeries {
    const n = this.#length;
    const time = this.#time;
    let order: Uint32Array | undefined;
    for (let i = 1; i < n; i++) {
      if (time[i] < time[i - 1]) {
        order = new Uint32Array(n);
        for (let j = 0; j < n; j++) order[j] = j;
        order.sort((a, b) => time[a] - time[b] || a - b);
        break;
      }
    }
    const keep = new Uint32Array(n);
    const duplicatesByFile = new Map<number, number>();
    let kept = 0;
    let previous = NaN;
    for (let k = 0; k < n; k++) {
      const i = order === undefined ? k : order[k];
      if (time[i] === previous) {
        const file = this.#file[i];
        duplicatesByFile.set(file, (duplicatesByFile.get(file) ?? 0) + 1);
        continue;
      }
      previous = time[i];
      keep[kept++] = i;
    }
    return {
      series: {
        turbineId: this.turbineId,
        time: gather(time, keep, kept),
        power: gather(this.#power, keep, kept),
        windSpeed: gather(this.#windSpeed, keep, kept),
        windDirection: gather(this.#windDirection, keep, kept),
        imputed: new Uint8Array(kept),
      },
      duplicatesByFile,
    };
  }

  #grow(): void {
    const size = this.#time.length * 2;
    this.#time = resized(this.#time, new Float64Array(size));
    this.#power = resized(this.#power, new Float64Array(size));
    this.#windSpeed = resized(this.#windSpeed, new Float64Array(size));
    this.#windDirection = resized(this.#windDirection, new Float64Array(size));
    this.#file = resized(this.#file, new Uint32Array(size));
  }
}

function resized<T extends Float64Array | Uint32Array>(old: T, next: T): T {
  next.set(old);
  return next;
}

function gather(source: Float64Array, keep: Uint32Array, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) out[k] = source[keep[k]];
  return out;
}
