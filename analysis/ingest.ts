/**
 * Streaming ingestion of reading files: header mapping, row parsing and
 * rejection, with accepted rows stored per turbine in compact columns.
 */

import { AnalysisError, quoteValue } from "./analysis_error.ts";
import { type CsvRecord, readCsvRecords } from "./csv_lines.ts";
import { parseReading, parseTurbineId } from "./cell_value.ts";
import { parseTimestamp } from "./timestamp.ts";
import { SeriesBuilder } from "./turbine_series.ts";

/** Columns every input file must have, in any order; other columns are ignored. */
export const REQUIRED_COLUMNS = [
  "timestamp",
  "turbine_id",
  "wind_speed",
  "wind_direction",
  "power_output",
] as const;

/** Why a row was rejected; counted per reason. */
export type RejectionReason = "malformed_line" | "field_count" | "bad_timestamp" | "bad_turbine_id";

/** A rejected row, kept in the quarantine list. */
export interface Rejection {
  file: string;
  /** 1-based line number in the file. */
  line: number;
  /** A sentence naming the field and the value seen. */
  reason: string;
}

/** Row counts of one input file. */
export interface FileTally {
  file: string;
  /** Non-empty lines after the header. */
  rowsRead: number;
  rejected: number;
  /** Filled in after all files are read, when duplicates across files are known. */
  duplicates: number;
}

/** Everything read from the inputs, before cleaning. */
export interface Ingested {
  files: FileTally[];
  /** Accepted rows per turbine id, in arrival order. */
  turbines: Map<number, SeriesBuilder>;
  rejectedByReason: Record<RejectionReason, number>;
  /** The first `quarantineLimit` rejections. */
  quarantine: Rejection[];
}

/** Options for {@linkcode ingestFiles}. */
export interface IngestOptions {
  /** How many rejections to keep with their reason; all are counted. Default 1000. */
  quarantineLimit?: number;
  /** Longest line accepted, in characters; longer lines are rejected unbuffered. */
  maxLineLength?: number;
  /** Called after each batch of lines with the number of lines in it. */
  onRows?: (count: number) => void;
  /** Called after each file is fully read. */
  onFileDone?: () => void;
}

interface Columns {
  width: number;
  timestamp: number;
  turbineId: number;
  windSpeed: number;
  windDirection: number;
  power: number;
}

/**
 * Reads every file, streaming, into per-turbine columns. Throws an
 * {@linkcode AnalysisError} naming the file when a file cannot be read, is
 * empty, or lacks a required column.
 *
 * @example
 * ```ts
 * import { ingestFiles } from "./ingest.ts";
 * const ingested = await ingestFiles(["data/data_group_1.csv"]);
 * console.log(ingested.turbines.size); // 5
 * ```
 */
export async function ingestFiles(paths: string[], options: IngestOptions = {}): Promise<Ingested> {
  const ingested: Ingested = {
    files: [],
    turbines: new Map(),
    rejectedByReason: { malformed_line: 0, field_count: 0, bad_timestamp: 0, bad_turbine_id: 0 },
    quarantine: [],
  };
  const limit = options.quarantineLimit ?? 1000;
  for (let fileIndex = 0; fileIndex < paths.length; fileIndex++) {
    const file = paths[fileIndex];
    const tally: FileTally = { file, rowsRead: 0, rejected: 0, duplicates: 0 };
    ingested.files.push(tally);
    const reject = (line: number, code: RejectionReason, reason: string): void => {
      tally.rejected++;
      ingested.rejectedByReason[code]++;
      if (ingested.quarantine.length < limit) ingested.quarantine.push({ file, line, reason });
    };
    let columns: Columns | undefined;
    // Fleet files list many turbines per timestamp, so consecutive rows often repeat it.
    let lastTimeText = "";
    let lastTime: number | undefined;
    for await (const batch of readFileRecords(file, options.maxLineLength)) {
      for (const record of batch) {
        if (columns === undefined) {
          columns = headerColumns(file, record);
          continue;
        }
        tally.rowsRead++;
        if ("malformed" in record) {
          reject(record.line, "malformed_line", record.malformed);
          continue;
        }
        const fields = record.fields;
        if (fields.length !== columns.width) {
          reject(
            record.line,
            "field_count",
            `Expected ${columns.width} fields as in the header, found ${fields.length}`,
          );
          continue;
        }
        const timeText = fields[columns.timestamp];
        if (timeText !== lastTimeText) {
          lastTimeText = timeText;
          lastTime = parseTimestamp(timeText);
        }
        const time = lastTime;
        if (time === undefined) {
          reject(
            record.line,
            "bad_timestamp",
            `Cannot parse "timestamp": ${
              quoteValue(timeText)
            } is not a YYYY-MM-DD HH:MM:SS or ISO-8601 time`,
          );
          continue;
        }
        const turbineId = parseTurbineId(fields[columns.turbineId]);
        if (turbineId === undefined) {
          reject(
            record.line,
            "bad_turbine_id",
            `Cannot parse "turbine_id": ${
              quoteValue(fields[columns.turbineId])
            } is not a positive integer`,
          );
          continue;
        }
        let builder = ingested.turbines.get(turbineId);
        if (builder === undefined) {
          builder = new SeriesBuilder(turbineId);
          ingested.turbines.set(turbineId, builder);
        }
        builder.push(
          time,
          parseReading(fields[columns.power]),
          parseReading(fields[columns.windSpeed]),
          parseReading(fields[columns.windDirection]),
          fileIndex,
        );
      }
      options.onRows?.(batch.length);
    }
    if (columns === undefined) {
      throw new AnalysisError(
        "input",
        `${file} is empty: expected a header line with ${REQUIRED_COLUMNS.join(",")}`,
      );
    }
    options.onFileDone?.();
  }
  return ingested;
}

/** Streams a file's records, turning I/O failures (and only those) into AnalysisErrors. */
async function* readFileRecords(
  file: string,
  maxLineLength: number | undefined,
): AsyncGenerator<CsvRecord[]> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file, { read: true });
  } catch (error) {
    throw unreadable(file, error);
  }
  const records = readCsvRecords(handle.readable, { maxLineLength });
  try {
    for (;;) {
      let next: IteratorResult<CsvRecord[]>;
      try {
        next = await records.next();
      } catch (error) {
        throw unreadable(file, error);
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Stopping early cancels the file's stream, which closes the file.
    await records.return(undefined);
  }
}

function unreadable(file: string, error: unknown): AnalysisError {
  const message = error instanceof Error ? error.message : String(error);
  return new AnalysisError("input", `Cannot read ${file}: ${message}`);
}

function headerColumns(file: string, record: CsvRecord): Columns {
  if ("malformed" in record) {
    throw new AnalysisError(
      "input",
      `Cannot read the header of ${file} line ${record.line}: ${record.malformed}`,
    );
  }
  const names = record.fields.map((name) => name.trim().toLowerCase());
  const index = (column: string): number => {
    const at = names.indexOf(column);
    if (at === -1) {
      throw new AnalysisError(
        "input",
        `${file} is missing required column "${column}" (header on line ${record.line}: ${
          quoteValue(record.fields.join(","), 120)
        })`,
      );
    }
    if (names.indexOf(column, at + 1) !== -1) {
      throw new AnalysisError(
        "input",
        `${file} has column "${column}" twice in its header on line ${record.line}`,
      );
    }
    return at;
  };
  return {
    width: names.length,
    timestamp: index("timestamp"),
    turbineId: index("turbine_id"),
    windSpeed: index("wind_speed"),
    windDirection: index("wind_direction"),
    power: index("power_output"),
  };
}
