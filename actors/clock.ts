/**
 * The one source of simulated time. `RealClock` follows the wall clock, sped
 * up by a time scale and pausable; `VirtualClock` only moves when told to, so a
 * simulation under it is deterministic.
 *
 * @module
 */

/** Simulated time and timers on it. Times are epoch milliseconds. */
export interface Clock {
  now(): number;
  /** Calls `callback` once simulated time reaches `at`; returns a handle for `cancel`. */
  schedule(at: number, callback: () => void): number;
  cancel(handle: number): void;
}

interface Timer {
  at: number;
  handle: number;
  callback: () => void;
}

/** Timers ordered by due time, then by creation: the order in which both clocks fire them. */
class TimerQueue {
  #heap: Timer[] = [];
  #cancelled = new Set<number>();
  #nextHandle = 1;

  add(at: number, callback: () => void): number {
    const timer = { at, handle: this.#nextHandle++, callback };
    this.#heap.push(timer);
    this.#up(this.#heap.length - 1);
    return timer.handle;
  }

  cancel(handle: number): void {
    this.#cancelled.add(handle);
  }

  /** The due time of the earliest live timer, or null. */
  peek(): number | null {
    this.#dropCancelled();
    return this.#heap.length > 0 ? this.#heap[0].at : null;
  }

  /** Removes and returns the earliest live timer if it is due by `now`. */
  takeDue(now: number): Timer | null {
    this.#dropCancelled();
    if (this.#heap.length === 0 || this.#heap[0].at > now) return null;
    return this.#pop();
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#cancelled.has(this.#heap[0].handle)) {
      this.#cancelled.delete(this.#pop().handle);
    }
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.handle < b.handle);
  }

  #pop(): Timer {
    const top = this.#heap[0];
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#down(0);
    }
    return top;
  }

  #up(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#less(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && this.#less(heap[right], heap[smallest])) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
  }
}

/**
 * Simulated time that runs `timeScale` times faster than the wall clock and can
 * be paused.
 *
 * @example
 * ```ts
 * const clock = new RealClock({ start: Date.now(), timeScale: 60 });
 * clock.schedule(clock.now() + 60_000, () => console.log("a simulated minute later"));
 * ```
 */
export class RealClock implements Clock {
  readonly timeScale: number;
  #simAtAnchor: number;
  #wallAnchor = performance.now();
  #paused = false;
  #timers = new TimerQueue();
  #wake: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { start: number; timeScale: number }) {
    this.timeScale = options.timeScale;
    this.#simAtAnchor = options.start;
  }

  now(): number {
    if (this.#paused) return this.#simAtAnchor;
    return this.#simAtAnchor + (performance.now() - this.#wallAnchor) * this.timeScale;
  }

  get paused(): boolean {
    return this.#paused;
  }

  schedule(at: number, callback: () => void): number {
    const handle = this.#timers.add(at, callback);
    this.#arm();
    return handle;
  }

  cancel(handle: number): void {
    this.#timers.cancel(handle);
  }

  /** Freezes simulated time; no timer fires until `resume`. */
  pause(): void {
    if (this.#paused) return;
    this.#simAtAnchor = this.now();
    this.#paused = true;
    clearTimeout(this.#wake);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#wallAnchor = performance.now();
    this.#paused = false;
    this.#arm();
  }

  /** Stops every pending wake-up so the process can exit. */
  dispose(): void {
    this.pause();
  }

  #arm(): void {
    clearTimeout(this.#wake);
    if (this.#paused) return;
    const next = this.#timers.peek();
    if (next === null) return;
    const delay = Math.max(0, (next - this.now()) / this.timeScale);
    this.#wake = setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    const now = this.now();
    for (let timer = this.#timers.takeDue(now); timer; timer = this.#timers.takeDue(now)) {
      timer.callback();
    }
    this.#arm();
  }
}

/**
 * Simulated time that moves only through `fireNext`: the driver of a
 * deterministic simulation decides when the next timer fires.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock(0);
 * clock.schedule(1000, () => console.log("t = 1 s"));
 * clock.fireNext(5000); // advances to 1000 and fires; returns true
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #timers = new TimerQueue();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(at: number, callback: () => void): number {
    return this.#timers.add(at, callback);
  }

  cancel(handle: number): void {
    this.#timers.cancel(handle);
  }

  /** Due time of the next timer, or null when none is pending. */
  nextAt(): number | null {
    return this.#timers.peek();
  }

  /**
   * Advances to the next timer due no later than `limit` and fires every timer
   * due at that instant; returns false (and advances to `limit`) when none is.
   */
  fireNext(limit: number): boolean {
    const next = this.#timers.peek();
    if (next === null || next > limit) {
      this.#now = Math.max(this.#now, limit);
      return false;
    }
    this.#now = Math.max(this.#now, next);
    for (let timer = this.#timers.takeDue(next); timer; timer = this.#timers.takeDue(next)) {
      timer.callback();
    }
    return true;
  }
}
