/**
 * Entry point of an actor Worker: commands from the supervisor in, reports out.
 * Whatever `ActorHost` throws stays uncaught, so it ends the Worker the way any
 * real fault would; the supervisor sees the error event and restarts the actors.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { ActorHost } from "./actor_host.ts";
import type { HostCommand } from "./protocol.ts";

const host = new ActorHost();

self.onmessage = (event: MessageEvent<HostCommand>) => {
  const report = host.handle(event.data);
  if (report) self.postMessage(report);
};
