/**
 * The one kind of failure the analysis command reports as a one-line reason
 * instead of a stack trace: bad command-line usage or unusable input.
 *
 * @example
 * ```ts
 * import { AnalysisError } from "./analysis_error.ts";
 * const error = new AnalysisError("input", "No files match \"data/*.csv\"");
 * console.log(error.exitCode); // 1
 * ```
 */
export class AnalysisError extends Error {
  /** `"usage"` for a bad flag or value (exit code 2), `"input"` for unusable files (exit code 1). */
  readonly kind: AnalysisErrorKind;

  /** Builds the error; `message` is a full sentence naming the file, line, field and value. */
  constructor(kind: AnalysisErrorKind, message: string) {
    super(message);
    this.name = "AnalysisError";
    this.kind = kind;
  }

  /** The process exit code this error maps to. */
  get exitCode(): number {
    return this.kind === "usage" ? 2 : 1;
  }
}

/** Whether the command line or the input files are at fault. */
export type AnalysisErrorKind = "usage" | "input";

/** Shortens a cell value for an error message so a 5 MB field cannot flood the output. */
export function quoteValue(value: string, maxLength = 40): string {
  const shown = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
  return JSON.stringify(shown);
}
