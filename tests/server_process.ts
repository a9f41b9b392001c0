/**
 * Runs gridfleet as a real process, the way the README starts it, for
 * end-to-end tests.
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url);

/** A gridfleet server process. */
export interface ServerProcess {
  url: string;
  child: Deno.ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `main.ts` with the permissions of `deno task start` and waits for the
 * line that says where it listens.
 */
export async function spawnServer(args: string[], timeoutMs = 60_000): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "main.ts",
      "--port",
      "0",
      ...args,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const { promise: listening, resolve, reject } = Promise.withResolvers<string>();
  const read = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    }
  };
  const reading = Promise.all([read(child.stdout), read(child.stderr)]);
  const timer = setTimeout(
    () => reject(new Error(`No listening line within ${timeoutMs} ms:\n${output}`)),
    timeoutMs,
  );
  child.status.then((status) =>
    reject(new Error(`Exited with ${status.code} before listening:\n${output}`))
  );
  try {
    const url = await listening;
    return {
      url,
      child,
      output: () => output,
      async stop(signal: Deno.Signal = "SIGTERM") {
        try {
          child.kill(signal);
        } catch {
          // Already gone.
        }
        const status = await child.status;
        await reading;
        return status;
      },
    };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await reading;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
