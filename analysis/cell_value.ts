/** Parsing of the numeric cells of a reading row. */

/**
 * Parses a measurement cell. Anything that is not a plain finite decimal
 * number (empty, `NaN`, `null`, `NA`, `N/A`, `-`, text, `Infinity`, hex)
 * returns `NaN`, which the pipeline treats as a missing value.
 *
 * @example
 * ```ts
 * import { parseReading } from "./cell_value.ts";
 * parseReading(" 2.7 "); // 2.7
 * parseReading("N/A"); // NaN
 * ```
 */
export function parseReading(text: string): number {
  const simple = parseSimpleDecimal(text);
  if (!Number.isNaN(simple)) return simple;
  const s = text.length > 0 && text.charCodeAt(0) > 32 && text.charCodeAt(text.length - 1) > 32
    ? text
    : text.trim();
  if (s.length === 0) return NaN;
  const value = Number(s);
  if (!Number.isFinite(value)) return NaN;
  // Number() also accepts "0x1A", "0b1" and "0o7"; no sensor writes those.
  if (s.length > 2 && s.charCodeAt(0) === 48) {
    const second = s.charCodeAt(1) | 0x20;
    if (second === 0x78 || second === 0x62 || second === 0x6f) return NaN;
  }
  return value;
}

/**
 * Fast path for the common `-12.34` shape with at most 15 digits, where
 * dividing two exactly representable integers rounds exactly as `Number`
 * does. Returns `NaN` for anything else, which takes the general path.
 */
function parseSimpleDecimal(text: string): number {
  const length = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  let value = 0;
  let digitCount = 0;
  let scale = 1;
  let code = 0;
  for (; i < length; i++) {
    code = text.charCodeAt(i);
    if (code < 48 || code > 57) break;
    value = value * 10 + code - 48;
    digitCount++;
  }
  if (i < length && code === 46) {
    for (i++; i < length; i++) {
      code = text.charCodeAt(i);
      if (code < 48 || code > 57) return NaN;
      value = value * 10 + code - 48;
      scale *= 10;
      digitCount++;
    }
  }
  if (i !== length || digitCount === 0 || digitCount > 15) return NaN;
  return (text.charCodeAt(0) === 45 ? -value : value) / scale;
}

/**
 * Parses a turbine id: a positive integer written in decimal digits, with
 * optional surrounding spaces. Returns `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { parseTurbineId } from "./cell_value.ts";
 * parseTurbineId("12"); // 12
 * parseTurbineId("1.5"); // undefined
 * ```
 */
export function parseTurbineId(text: string): number | undefined {
  const s = text.trim();
  if (s.length === 0 || s.length > 15) return undefined;
  let value = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
    value = value * 10 + code - 48;
  }
  return value > 0 ? value : undefined;
}
