/**
 * A streaming CSV record reader: decodes a byte stream, splits it into lines
 * (`\n` or `\r\n`) and each line into fields, without ever holding more than
 * one line of text. Quoted fields (`"a,b"`, `"say ""hi"""`) are supported
 * within a line; a quoted field may not span lines, so a stray quote in a
 * damaged file spoils one record instead of the rest of the file.
 */

/** A line split into fields, or a line that could not be split. */
export type CsvRecord = CsvFields | CsvMalformed;

/** A well-formed line; `line` is 1-based. */
export interface CsvFields {
  line: number;
  fields: string[];
}

/** A line that could not be split, with a sentence saying why. */
export interface CsvMalformed {
  line: number;
  malformed: string;
}

/** Options for {@linkcode readCsvRecords}. */
export interface ReadCsvOptions {
  /** Lines longer than this many characters are reported as malformed and skipped unbuffered. */
  maxLineLength?: number;
}

/** Default cap on a line's length: 1 MiB of text. */
export const DEFAULT_MAX_LINE_LENGTH = 1 << 20;

/**
 * Reads CSV records from a byte stream, one batch per decoded chunk (batching
 * keeps the per-row cost of async iteration out of the hot path). Empty lines
 * are skipped but still counted; a leading byte-order mark is dropped.
 *
 * @example
 * ```ts
 * import { readCsvRecords } from "./csv_lines.ts";
 * const bytes = new TextEncoder().encode("a,b\r\n1,\"x,y\"\r\n");
 * for await (const batch of readCsvRecords(ReadableStream.from([bytes]))) {
 *   console.log(batch); // [{ line: 1, fields: ["a", "b"] }, { line: 2, fields: ["1", "x,y"] }]
 * }
 * ```
 */
export async function* readCsvRecords(
  source: ReadableStream<Uint8Array>,
  options: ReadCsvOptions = {},
): AsyncGenerator<CsvRecord[]> {
  const maxLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const tooLong = `Line is longer than ${maxLength} characters`;
  let carry = "";
  let skipping = false;
  let line = 0;
  let atStart = true;
  for await (let chunk of source.pipeThrough(new TextDecoderStream())) {
    if (atStart && chunk.length > 0) {
      atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // One native split per chunk is much faster than an indexOf/slice loop per line.
    const parts = chunk.split("\n");
    const last = parts.length - 1;
    const batch: CsvRecord[] = [];
    for (let k = 0; k < last; k++) {
      line++;
      if (k === 0 && skipping) {
        skipping = false;
        batch.push({ line, malformed: tooLong });
        continue;
      }
      const text = k === 0 && carry.length > 0 ? carry + parts[0] : parts[k];
      if (text.length > maxLength) batch.push({ line, malformed: tooLong });
      else pushLine(batch, text, line);
    }
    if (last > 0) carry = "";
    if (!skipping) {
      carry += parts[last];
      if (carry.length > maxLength) {
        skipping = true;
        carry = "";
      }
    }
    if (batch.length > 0) yield batch;
  }
  if (skipping) yield [{ line: line + 1, malformed: tooLong }];
  else if (carry.length > 0) {
    const batch: CsvRecord[] = [];
    pushLine(batch, carry, line + 1);
    if (batch.length > 0) yield batch;
  }
}

function pushLine(batch: CsvRecord[], text: string, line: number): void {
  const end = text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
  if (end === 0) return;
  const fields = splitCsvLine(end === text.length ? text : text.slice(0, end));
  if (fields === undefined) batch.push({ line, malformed: "Quoted field is not closed" });
  else batch.push({ line, fields });
}

/**
 * Splits one CSV line (without its line ending) into fields. Returns
 * `undefined` when a quoted field is not closed before the end of the line.
 * Text after a closing quote is kept (`"a"b` reads as `ab`), as most
 * spreadsheet tools do.
 *
 * @example
 * ```ts
 * import { splitCsvLine } from "./csv_lines.ts";
 * splitCsvLine('1,"a ""b"", c",'); // ["1", 'a "b", c', ""]
 * ```
 */
export function splitCsvLine(text: string): string[] | undefined {
  if (text.indexOf('"') === -1) return splitPlain(text);
  const fields: string[] = [];
  let field = "";
  let i = 0;
  let fieldStart = true;
  while (i <= text.length) {
    if (i === text.length) {
      fields.push(field);
      break;
    }
    const code = text.charCodeAt(i);
    if (fieldStart && code === 34) {
      const close = readQuoted(text, i + 1);
      if (close === undefined) return undefined;
      field += close.value;
      i = close.next;
      fieldStart = false;
      continue;
    }
    if (code === 44) {
      fields.push(field);
      field = "";
      fieldStart = true;
    } else {
      field += text[i];
      fieldStart = false;
    }
    i++;
  }
  return fields;
}

/** Splits a line without quotes; an indexOf loop beats `String.prototype.split` here. */
function splitPlain(text: string): string[] {
  const fields: string[] = [];
  let start = 0;
  let comma = text.indexOf(",");
  while (comma !== -1) {
    fields.push(text.slice(start, comma));
    start = comma + 1;
    comma = text.indexOf(",", start);
  }
  fields.push(text.slice(start));
  return fields;
}

function readQuoted(text: string, from: number): { value: string; next: number } | undefined {
  let value = "";
  let i = from;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote === -1) return undefined;
    value += text.slice(i, quote);
    if (text.charCodeAt(quote + 1) === 34) {
      value += '"';
      i = quote + 2;
    } else {
      return { value, next: quote + 1 };
    }
  }
}
