/**
 * Parsing of durations written as `30m`, `6h`, `24h`, `2d` or combinations
 * such as `1h30m`; units are `s`, `m`, `h` and `d`, amounts whole numbers.
 */

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration to milliseconds; returns `undefined` for anything that is
 * not a positive duration in the accepted form.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("24h"); // 86400000
 * parseDuration("1h30m"); // 5400000
 * parseDuration("soon"); // undefined
 * ```
 */
export function parseDuration(text: string): number | undefined {
  let total = 0;
  let i = 0;
  if (text.length === 0) return undefined;
  while (i < text.length) {
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start || i === text.length) return undefined;
    const unit = UNIT_MS[text[i]];
    if (unit === undefined) return undefined;
    total += Number(text.slice(start, i)) * unit;
    i++;
  }
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}
