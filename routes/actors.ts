/**
 * The actor runtime seen from outside: every actor with its Worker, restarts
 * and mailbox, fault injection, alarms and dead letters.
 *
 * @module
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ACTOR_KINDS, type Address } from "../actors/protocol.ts";
import type { Fleet } from "../fleet/fleet.ts";
import { ApiError, rejectInvalid } from "./api_error.ts";
import { errorResponse } from "./schemas.ts";

const ActorSchema = z.object({
  address: z.string().openapi({ example: "turbine/7" }),
  kind: z.enum(ACTOR_KINDS as ["turbine", "engineer", "device"]),
  worker: z.number().int().openapi({ description: "Id of the Worker hosting the actor" }),
  status: z.enum(["starting", "running", "restarting", "stopped"]),
  restarts: z.number().int(),
  mailbox: z.number().int().openapi({ description: "Envelopes waiting in the mailbox" }),
  overflow: z.number().int().openapi({
    description: "Messages refused because the mailbox was full",
  }),
  last_error: z.string().nullable(),
}).openapi("Actor");

const AlarmSchema = z.object({
  at: z.string(),
  address: z.string(),
  kind: z.string(),
  message: z.string(),
}).openapi("Alarm");

/** Options of the actors routes. */
export interface ActorsRouterOptions {
  /** Whether `POST /api/actors/{kind}/{id}/crash` is allowed. */
  chaos: boolean;
}

/** The actors routes. */
export function actorsRouter(fleet: Fleet, options: ActorsRouterOptions): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/actors",
      tags: ["actors"],
      summary: "Every actor, where it runs and how it fares; alarms raised by supervision",
      responses: {
        200: {
          description: "Actors and alarms",
          content: {
            "application/json": {
              schema: z.object({
                placement: z.enum(["worker", "pool"]),
                actors: z.array(ActorSchema),
                alarms: z.array(AlarmSchema),
              }),
            },
          },
        },
      },
    }),
    async (c) => {
      const actors = fleet.supervisor.list().map(({ lastError, ...actor }) => ({
        ...actor,
        last_error: lastError,
      }));
      const alarms = await fleet.store.listAlarms();
      return c.json({ placement: fleet.supervisor.placement, actors, alarms }, 200);
    },
  );

  const ActorParam = z.object({
    kind: z.enum(ACTOR_KINDS as ["turbine", "engineer", "device"]).openapi({
      param: { name: "kind", in: "path" },
    }),
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).openapi({ param: { name: "id", in: "path" } }),
  });
  const actorResponse = (description: string) => ({
    description,
    content: { "application/json": { schema: z.object({ address: z.string() }) } },
  });
  const existing = (kind: string, id: string) => {
    const address = `${kind}/${id}` as Address;
    const info = fleet.supervisor.info(address);
    if (!info) {
      throw new ApiError(404, "not_found", `No actor ${address}`, [
        { field: "id", problem: "no such actor", value: id },
      ]);
    }
    return { address, info };
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/actors/{kind}/{id}/crash",
      tags: ["actors"],
      summary:
        "Fault injection: the actor throws inside its Worker and is restarted by supervision",
      request: { params: ActorParam },
      responses: {
        202: actorResponse("The crash was injected"),
        400: errorResponse("Not an actor kind or id"),
        403: errorResponse("Fault injection is disabled (--no-chaos)"),
        404: errorResponse("No such actor"),
        409: errorResponse("The actor is not running (restarting or stopped)"),
      },
    }),
    (c) => {
      const { kind, id } = c.req.valid("param");
      if (!options.chaos) {
        throw new ApiError(403, "chaos_disabled", "Fault injection is disabled on this server", [
          { field: "kind", problem: "cannot be crashed on purpose here (--no-chaos)", value: kind },
        ]);
      }
      const { address, info } = existing(kind, id);
      if (!fleet.supervisor.crash(address)) {
        throw new ApiError(
          409,
          "not_running",
          `${address} is ${info.status}, not running; wait for it to run again`,
          [{ field: "id", problem: `is ${info.status}`, value: id }],
        );
      }
      return c.json({ address }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/actors/{kind}/{id}/restart",
      tags: ["actors"],
      summary: "Start a stopped actor again from its last snapshot, with a fresh restart budget",
      request: { params: ActorParam },
      responses: {
        200: actorResponse("The actor runs again"),
        400: errorResponse("Not an actor kind or id"),
        404: errorResponse("No such actor"),
        409: errorResponse("The actor is not stopped"),
      },
    }),
    async (c) => {
      const { kind, id } = c.req.valid("param");
      const { address, info } = existing(kind, id);
      if (!(await fleet.supervisor.revive(address))) {
        throw new ApiError(
          409,
          "not_stopped",
          `${address} is ${info.status}; only a stopped actor can be restarted`,
        );
      }
      return c.json({ address }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/dead-letters",
      tags: ["actors"],
      summary: "Messages that reached no actor: how many, and the most recent",
      responses: {
        200: {
          description: "Dead letters",
          content: {
            "application/json": {
              schema: z.object({
                count: z.number().int(),
                recent: z.array(z.object({
                  at: z.string(),
                  to: z.string(),
                  type: z.string(),
                  reason: z.string(),
                })),
              }),
            },
          },
        },
      },
    }),
    (c) => c.json(fleet.supervisor.deadLetters(), 200),
  );
  return app;
}
