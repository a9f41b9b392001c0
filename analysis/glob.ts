/**
 * Expansion of input arguments with `*` and `?` in the file-name part, done
 * by the command itself because shells (or `deno task`) may pass patterns
 * through literally.
 */

import { basename, dirname, join } from "node:path";
import { AnalysisError } from "./analysis_error.ts";

/**
 * Expands each argument: a plain path is kept as given; a pattern is replaced
 * by the matching files in its directory, sorted by name. Hidden files only
 * match patterns that start with a dot. The result has no duplicates.
 * Throws an {@linkcode AnalysisError} when a pattern matches nothing, its
 * directory cannot be listed, or a wildcard appears in a directory part.
 *
 * @example
 * ```ts
 * import { expandInputs } from "./glob.ts";
 * const files = await expandInputs(["data/data_group_*.csv"]);
 * ```
 */
export async function expandInputs(args: string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const arg of args) {
    for (const file of await expandOne(arg)) {
      if (!seen.has(file)) {
        seen.add(file);
        files.push(file);
      }
    }
  }
  return files;
}

async function expandOne(arg: string): Promise<string[]> {
  const name = basename(arg);
  const directory = dirname(arg);
  if (hasWildcard(directory)) {
    throw new AnalysisError(
      "usage",
      `Cannot expand "${arg}": wildcards are only supported in the file name, not in "${directory}"`,
    );
  }
  if (!hasWildcard(name)) return [arg];
  const matches: string[] = [];
  try {
    for await (const entry of Deno.readDir(directory)) {
      if ((entry.isFile || entry.isSymlink) && matchGlob(name, entry.name)) {
        matches.push(entry.name);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      throw new AnalysisError("input", `Cannot list directory "${directory}" for "${arg}"`);
    }
    throw error;
  }
  if (matches.length === 0) throw new AnalysisError("input", `No files match "${arg}"`);
  matches.sort();
  const keepDirectory = arg.length > name.length;
  return matches.map((match) => keepDirectory ? join(directory, match) : match);
}

function hasWildcard(text: string): boolean {
  return text.includes("*") || text.includes("?");
}

/**
 * Whether `name` matches `pattern`, where `*` matches any run of characters
 * (including none) and `?` exactly one. A leading dot must be matched
 * literally, as in POSIX shells.
 *
 * @example
 * ```ts
 * import { matchGlob } from "./glob.ts";
 * matchGlob("data_group_?.csv", "data_group_1.csv"); // true
 * matchGlob("*.csv", ".hidden.csv"); // false
 * ```
 */
export function matchGlob(pattern: string, name: string): boolean {
  if (name.startsWith(".") && !pattern.startsWith(".")) return false;
  let p = 0;
  let n = 0;
  let starPattern = -1;
  let starName = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === "*") {
      starPattern = p++;
      starName = n;
    } else if (p < pattern.length && (pattern[p] === "?" || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (starPattern !== -1) {
      p = starPattern + 1;
      n = ++starName;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
