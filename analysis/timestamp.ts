/**
 * Parsing of reading timestamps. Accepted: `YYYY-MM-DD HH:MM:SS` and ISO-8601
 * `YYYY-MM-DDTHH:MM:SS`, each with optional fractional seconds and an optional
 * `Z` or `±HH:MM` / `±HHMM` / `±HH` offset. No zone means UTC. Parsed by hand
 * because it runs once per row.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses a timestamp to epoch milliseconds, or returns `undefined` when the
 * text is not a valid time (including impossible dates such as February 30).
 *
 * @example
 * ```ts
 * import { parseTimestamp } from "./timestamp.ts";
 * parseTimestamp("2022-03-01 00:00:00"); // 1646092800000
 * parseTimestamp("2022-03-01T02:00:00+02:00"); // 1646092800000
 * parseTimestamp("2022-02-30 00:00:00"); // undefined
 * ```
 */
export function parseTimestamp(text: string): number | undefined {
  const s = text.length > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32)
    ? text.trim()
    : text;
  if (s.length < 19) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const separator = s.charCodeAt(10);
  if (
    year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
    minute > 59 || second < 0 || second > 59 || s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 ||
    (separator !== 32 && separator !== 84 && separator !== 116)
  ) {
    return undefined;
  }
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return undefined;
  let i = 19;
  let millis = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    const fractionStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      millis += (s.charCodeAt(i) - 48) * scale;
      scale /= 10;
      i++;
    }
    if (i === fractionStart) return undefined;
    millis = Math.floor(millis);
  }
  let offsetMinutes = 0;
  if (i < s.length) {
    const zone = s.charCodeAt(i);
    if ((zone === 90 || zone === 122) && i + 1 === s.length) {
      i++;
    } else if (zone === 43 || zone === 45) {
      const parsed = parseOffset(s, i + 1);
      if (parsed === undefined) return undefined;
      offsetMinutes = zone === 45 ? -parsed : parsed;
      i = s.length;
    } else {
      return undefined;
    }
  }
  // Date.UTC reads years 0–99 as 1900–1999; 400 Gregorian years are exactly 146097 days.
  const shift = year < 100 ? 400 : 0;
  const utc = Date.UTC(year + shift, month - 1, day, hour, minute, second, millis);
  return utc - (shift === 0 ? 0 : 146_097 * 86_400_000) - offsetMinutes * 60_000;
}

function parseOffset(s: string, from: number): number | undefined {
  const rest = s.length - from;
  const hours = digits(s, from, 2);
  let minutes = 0;
  if (rest === 2) minutes = 0;
  else if (rest === 4) minutes = digits(s, from + 2, 2);
  else if (rest === 5 && s.charCodeAt(from + 2) === 58) minutes = digits(s, from + 3, 2);
  else return undefined;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
  return hours * 60 + minutes;
}

function digits(s: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const code = s.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - 48;
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Formats epoch milliseconds as ISO-8601 UTC, the form used in every report.
 *
 * @example
 * ```ts
 * import { formatTimestamp } from "./timestamp.ts";
 * formatTimestamp(1646092800000); // "2022-03-01T00:00:00.000Z"
 * ```
 */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
