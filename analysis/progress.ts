/** A one-line progress bar on stderr: files done and rows per second. */

/** Receives progress events from the pipeline. */
export interface Progress {
  /** Records that `count` more lines were read. */
  addRows(count: number): void;
  /** Records that one more file was fully read. */
  fileDone(): void;
  /** Clears the progress line. */
  finish(): void;
}

/** Options for {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Draw at all; default: only when stderr is a terminal. */
  enabled?: boolean;
  /** Where the line goes; default: stderr. */
  write?: (text: string) => void;
  /** Clock in milliseconds; default `performance.now`. */
  now?: () => number;
  /** Minimum milliseconds between redraws; default 100. */
  intervalMs?: number;
}

/**
 * Creates a progress reporter for `totalFiles` files. When disabled (stderr
 * is not a terminal) every method does nothing, so piped output stays quiet.
 *
 * @example
 * ```ts
 * import { createProgress } from "./progress.ts";
 * const progress = createProgress(3, { enabled: true, write: (text) => console.error(text) });
 * progress.addRows(1000);
 * progress.fileDone();
 * progress.finish();
 * ```
 */
export function createProgress(totalFiles: number, options: ProgressOptions = {}): Progress {
  const enabled = options.enabled ?? Deno.stderr.isTerminal();
  if (!enabled) return { addRows() {}, fileDone() {}, finish() {} };
  const encoder = new TextEncoder();
  const write = options.write ??
    ((text: string) => writeAllSync(Deno.stderr, encoder.encode(text)));
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? 100;
  const started = now();
  let lastDraw = -Infinity;
  let rows = 0;
  let files = 0;
  const draw = (force: boolean): void => {
    const at = now();
    if (!force && at - lastDraw < interval) return;
    lastDraw = at;
    const seconds = Math.max((at - started) / 1000, 1e-3);
    const rate = Math.round(rows / seconds).toLocaleString("en-US");
    write(
      `\r\x1b[2Kfiles ${files}/${totalFiles}  rows ${rows.toLocaleString("en-US")}  ${rate} rows/s`,
    );
  };
  return {
    addRows(count: number): void {
      rows += count;
      draw(false);
    },
    fileDone(): void {
      files++;
      draw(true);
    },
    finish(): void {
      write("\r\x1b[2K");
    },
  };
}

function writeAllSync(target: { writeSync(bytes: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += target.writeSync(bytes.subarray(written));
}
