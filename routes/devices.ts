/**
 * Monitored devices: readings posted by external devices (`POST /api/readings`),
 * each device's latest state, forecast and status text, its reading stream, its
 * alerts and the owner's feedback on them, and operator workload overrides for
 * simulated devices.
 *
 * @module
 */

import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { WorkloadMode } from "../actors/device_physics.ts";
import {
  DEVICE_ID_PATTERN,
  DEVICE_PROFILES,
  type DeviceProfile,
  type DeviceReading,
  SENSOR_FIELDS,
} from "../actors/device_readings.ts";
import { temperatureLimit } from "../actors/device_stress.ts";
import { deviceAddress } from "../actors/protocol.ts";
import { ReadingRejected } from "../fleet/device_monitor.ts";
import type { Fleet } from "../fleet/fleet.ts";
import { DeviceStore } from "../store/device_store.ts";
import type { DeviceRecord } from "../store/device_store.ts";
import {
  ApiError,
  fieldProblems,
  invalidRequest,
  parseJsonBody,
  parseOrReject,
  rejectInvalid,
} from "./api_error.ts";
import { errorResponse, Instant } from "./schemas.ts";

/** Largest batch of readings one request may carry. */
export const MAX_READINGS = 5_000;

const DeviceId = z.string().regex(DEVICE_ID_PATTERN, "must be 1-64 letters, digits, _ or -")
  .openapi({ example: "pc1" });

function readingSchema(profile: DeviceProfile) {
  const shape: Record<string, z.ZodType> = {
    device_id: DeviceId,
    profile: z.literal(profile),
    timestamp: z.number().int().min(946_684_800).max(32_503_680_000).openapi({
      description: "Epoch seconds, whole (years 2000 to 3000)",
      example: 1_767_225_600,
    }),
  };
  for (const field of SENSOR_FIELDS[profile]) {
    let schema = z.number().min(field.min).max(field.max);
    if (field.integer) schema = schema.int();
    const described = schema.openapi({
      description: `${field.description}, ${field.unit} (${field.min} to ${field.max})`,
    });
    shape[field.name] = field.optional ? described.optional() : described;
  }
  return z.object(shape).strict();
}

const PcReadingSchema = readingSchema("pc").openapi("PcReading");
const RaspberryReadingSchema = readingSchema("raspberry").openapi("RaspberryReading");
const ReadingSchema = z.discriminatedUnion("profile", [PcReadingSchema, RaspberryReadingSchema]);

const StatusEnum = z.enum(["ok", "at_risk", "stressed"]).openapi({
  description: "stressed: over its temperature limit (or throttled) for a sustained minute; " +
    "at_risk: the model forecasts stress within the horizon (an alert is open); ok: neither",
});

const Verdict = {
  probability: z.number().openapi({ description: "Forecast probability of stress" }),
  status: StatusEnum,
  model: z.number().int().openapi({ description: "Version of the model that scored it" }),
};
const StoredReadingSchema = z.union([
  readingSchema("pc").extend(Verdict),
  readingSchema("raspberry").extend(Verdict),
]).openapi("StoredReading");

const DeviceSchema = z.object({
  id: z.string(),
  profile: z.enum(["pc", "raspberry"]),
  source: z.enum(["simulated", "external", "retired"]).openapi({
    description: "retired: simulated in an earlier run, not in this one's --devices (history)",
  }),
  status: StatusEnum,
  probability: z.number().nullable(),
  latest: StoredReadingSchema.nullable(),
  stressed_since: z.number().nullable().openapi({ description: "Epoch seconds" }),
  open_alert: z.string().nullable(),
  temperature_limit_c: z.number(),
  horizon_minutes: z.number(),
  threshold: z.number(),
  model_version: z.number(),
  workload: z.object({ mode: z.string(), until: z.number().nullable(), regime: z.string() })
    .nullable().openapi({
      description: "A simulated device's workload (until: epoch seconds of simulated time)",
    }),
  actor: z.string().openapi({
    description: "The device actor's state: starting, running, restarting, stopped; an external " +
      "device's actor starts with its next reading, a retired device has none",
  }),
  updated_at: z.string(),
}).openapi("Device");

const AlertSchema = z.object({
  id: z.string(),
  device_id: z.string(),
  profile: z.enum(["pc", "raspberry"]),
  at: z.number().openapi({ description: "Epoch seconds of the reading that raised it" }),
  probability: z.number(),
  threshold: z.number(),
  horizon_minutes: z.number(),
  model: z.number(),
  cpu_temp_c: z.number(),
  feedback: z.object({ correct: z.boolean(), comment: z.string().nullable(), at: z.string() })
    .nullable(),
}).openapi("DeviceAlert");

const IdParam = z.object({
  id: DeviceId.openapi({ param: { name: "id", in: "path" } }),
});

const ReadingsQuery = z.object({
  since: Instant.optional().openapi({ description: "Inclusive start, epoch seconds or ISO-8601" }),
  until: Instant.optional().openapi({ description: "Exclusive end, epoch seconds or ISO-8601" }),
  limit: z.string().regex(/^\d{1,5}$/, "must be a whole number from 1 to 10000").transform(Number)
    .pipe(z.number().min(1, "must be a whole number from 1 to 10000").max(10_000))
    .optional().openapi({
      type: "string",
      description: "At most this many (default 1000); without since, the newest ones",
    }),
}).strict();

const FeedbackBody = z.object({
  alert_id: z.string().min(1).max(200),
  correct: z.boolean().openapi({
    description: "true: the device did get stressed; false: a false alarm",
  }),
  comment: z.string().max(1_000).optional(),
}).strict();

const WorkloadBody = z.object({
  mode: z.enum(["auto", "idle", "heavy"]).openapi({
    description: "heavy: a sustained job at full load; idle: nothing runs; auto: its own mix",
  }),
  minutes: z.number().positive().max(7 * 24 * 60).optional().openapi({
    description: "Simulated minutes the override lasts; open-ended without",
  }),
}).strict();

/** Parses one reading or a batch, naming the first bad field; nothing is kept when any is bad. */
export function parseReadings(body: unknown): DeviceReading[] {
  const batch = Array.isArray(body);
  const items = batch ? body as unknown[] : [body];
  if (items.length === 0) {
    throw invalidRequest([{ field: "body", problem: "is an empty array; send at least one" }]);
  }
  if (items.length > MAX_READINGS) {
    throw invalidRequest([{
      field: "body",
      problem: `holds ${items.length} readings; at most ${MAX_READINGS} are accepted per request`,
    }]);
  }
  const readings: DeviceReading[] = [];
  const seen = new Map<string, number>();
  for (const [i, item] of items.entries()) {
    const root = batch ? `readings[${i}]` : "";
    const field = (name: string) => (root ? `${root}.${name}` : name);
    const profile = (item as { profile?: unknown } | null)?.profile;
    if (
      item !== null && typeof item === "object" &&
      !DEVICE_PROFILES.includes(profile as DeviceProfile)
    ) {
      throw invalidRequest([{
        field: field("profile"),
        problem: profile === undefined ? "is required: pc or raspberry" : "must be pc or raspberry",
        ...(profile !== undefined ? { value: profile } : {}),
      }]);
    }
    const parsed = ReadingSchema.safeParse(item);
    if (!parsed.success) throw invalidRequest(fieldProblems(parsed.error, item, root));
    const reading = parsed.data as unknown as DeviceReading;
    const key = `${reading.device_id}@${reading.timestamp}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw invalidRequest([{
        field: field("timestamp"),
        problem: `repeats readings[${first}]: device ${reading.device_id} at the same second`,
        value: reading.timestamp,
      }]);
    }
    seen.set(key, i);
    readings.push(reading);
  }
  return readings;
}

function statusText(
  record: DeviceRecord,
  probability: number | null,
  horizon: number,
  threshold: number,
): string {
  if (record.status === "stressed") return "The device is stressed";
  // Never "100 %": a forecast is not a certainty.
  const percent = Math.min(99, Math.round((probability ?? 0) * 100));
  if (record.status === "at_risk") {
    if ((probability ?? 0) >= threshold) {
      return `The device is at risk: ${percent} % chance of being stressed within ${horizon} minutes`;
    }
    return `The device is at risk: its alert stays open until it has been back to normal for a ` +
      `minute (now ${percent} % chance of being stressed within ${horizon} minutes)`;
  }
  return "The device is OK";
}

/** The devices and readings routes. */
export function devicesRouter(fleet: Fleet): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  const store = new DeviceStore(fleet.store.kv);
  const params = fleet.supervisor.params.device;

  function describe(record: DeviceRecord): z.infer<typeof DeviceSchema> {
    const address = deviceAddress(record.id);
    const model = params.model!;
    return {
      id: record.id,
      profile: record.profile,
      source: record.source,
      status: record.status,
      probability: record.latest?.probability ?? null,
      latest: record.latest
        ? {
          ...record.latest.reading,
          probability: record.latest.probability,
          status: record.latest.status,
          model: record.latest.model,
        }
        : null,
      stressed_since: record.stressed_since,
      open_alert: record.open_alert,
      temperature_limit_c: temperatureLimit(record.profile),
      horizon_minutes: model.horizonMinutes,
      threshold: params.alertThreshold,
      model_version: model.version,
      workload: record.source === "simulated" ? fleet.devices.workloadOf(record.id) : null,
      // An external device's actor starts with its first reading after a start of the server.
      actor: fleet.supervisor.info(address)?.status ??
        (record.source === "external" ? "starts with its next reading" : "not running"),
      updated_at: record.updated_at,
    };
  }

  function mustExist(id: string): DeviceRecord {
    const record = fleet.devices.get(id);
    if (!record) {
      throw new ApiError(404, "not_found", `Device "${id}" is neither simulated nor has reported`, [
        { field: "id", problem: "no such device", value: id },
      ]);
    }
    return record;
  }

  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/api/readings",
    tags: ["devices"],
    summary: `Post readings of external devices: one or a batch of up to ${MAX_READINGS}`,
    description: "Each reading carries its device_id, its profile (pc or raspberry) and the " +
      "fields of that profile, with the units in the schema; unknown fields are refused. A new " +
      "device id registers the device. Every reading is scored by the device's actor (the " +
      "stress forecast) and stored before the answer; a batch with any bad reading stores nothing.",
    request: {
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.union([ReadingSchema, z.array(ReadingSchema).min(1).max(MAX_READINGS)]),
          },
        },
      },
    },
    responses: {
      201: {
        description: "Scored and stored",
        content: {
          "application/json": {
            schema: z.object({
              accepted: z.number().int(),
              readings: z.array(z.object({
                device_id: z.string(),
                timestamp: z.number(),
                probability: z.number(),
                status: StatusEnum,
              })),
            }),
          },
        },
      },
      400: errorResponse(
        "Malformed JSON, a bad reading, or one device in two profiles (the field is named); " +
          "nothing stored",
      ),
      401: errorResponse("A token is configured and the request did not carry it"),
      413: errorResponse("The body is larger than 8 MiB"),
      503: errorResponse("A device actor is restarting or stopped; retry later"),
      409: errorResponse(
        "A simulated device's id, another profile than the device's, or a timestamp not after " +
          "the device's last reading; nothing stored",
      ),
    },
  });
  app.post("/api/readings", async (c) => {
    const body = parseJsonBody(await c.req.text());
    const readings = parseReadings(body);
    // External devices are real machines: their clock is the wall clock, not the simulation's.
    const latestAllowed = Date.now() / 1000 + 3600;
    // What the retention sweep would delete at once is refused rather than accepted and lost.
    const oldestKept = fleet.retentionDays > 0
      ? Math.ceil(Date.now() / 1000 - fleet.retentionDays * 86_400)
      : -Infinity;
    readings.forEach((reading, i) => {
      if (reading.timestamp < oldestKept) {
        throw invalidRequest([{
          field: Array.isArray(body) ? `readings[${i}].timestamp` : "timestamp",
          problem: `is older than the ${fleet.retentionDays} days of history this server keeps ` +
            `(from ${oldestKept})`,
          value: reading.timestamp,
        }]);
      }
      if (reading.timestamp > latestAllowed) {
        throw invalidRequest([{
          field: Array.isArray(body) ? `readings[${i}].timestamp` : "timestamp",
          problem: `is more than an hour ahead of the wall clock (${
            Math.floor(Date.now() / 1000)
          })`,
          value: reading.timestamp,
        }]);
      }
    });
    try {
      const scored = await fleet.devices.observe(readings);
      return c.json({
        accepted: scored.length,
        readings: scored.map((s) => ({
          device_id: s.reading.device_id,
          timestamp: s.reading.timestamp,
          probability: s.probability,
          status: s.status,
        })),
      }, 201);
    } catch (error) {
      if (error instanceof ReadingRejected) {
        const field = Array.isArray(body) ? `readings[${error.index}].${error.field}` : error.field;
        throw new ApiError(
          error.status,
          error.status === 400 ? "invalid_request" : "conflict",
          `${field}: ${error.message}`,
          [{ field, problem: error.message, value: error.value }],
        );
      }
      throw error;
    }
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/devices",
      tags: ["devices"],
      summary: "Every monitored device, simulated or external",
      responses: {
        200: {
          description: "Devices by id",
          content: { "application/json": { schema: z.array(DeviceSchema) } },
        },
      },
    }),
    (c) => c.json(fleet.devices.list().map(describe), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/devices/{id}",
      tags: ["devices"],
      summary: "A device: latest reading, forecast probability and status",
      request: { params: IdParam },
      responses: {
        200: {
          description: "The device",
          content: { "application/json": { schema: DeviceSchema } },
        },
        400: errorResponse("A malformed id"),
        404: errorResponse("No such device"),
      },
    }),
    (c) => c.json(describe(mustExist(c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/devices/{id}/status",
      tags: ["devices"],
      summary:
        'In words: "The device is OK", at risk, or "The device is stressed", with the numbers',
      request: { params: IdParam },
      responses: {
        200: {
          description: "The status",
          content: {
            "application/json": {
              schema: z.object({
                device_id: z.string(),
                status: StatusEnum,
                text: z.string(),
                probability: z.number().nullable(),
                horizon_minutes: z.number(),
                threshold: z.number(),
                cpu_temp_c: z.number().nullable(),
                temperature_limit_c: z.number(),
                cpu_load_percent: z.number().nullable(),
                timestamp: z.number().nullable(),
                stressed_since: z.number().nullable(),
                open_alert: z.string().nullable(),
              }),
            },
          },
        },
        400: errorResponse("A malformed id"),
        404: errorResponse("No such device"),
      },
    }),
    (c) => {
      const record = mustExist(c.req.valid("param").id);
      const horizon = params.model!.horizonMinutes;
      const probability = record.latest?.probability ?? null;
      return c.json({
        device_id: record.id,
        status: record.status,
        text: statusText(record, probability, horizon, params.alertThreshold),
        probability,
        horizon_minutes: horizon,
        threshold: params.alertThreshold,
        cpu_temp_c: record.latest?.reading.cpu_temp_c ?? null,
        temperature_limit_c: temperatureLimit(record.profile),
        cpu_load_percent: record.latest?.reading.cpu_load_percent ?? null,
        timestamp: record.latest?.reading.timestamp ?? null,
        stressed_since: record.stressed_since,
        open_alert: record.open_alert,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/devices/{id}/readings",
      tags: ["devices"],
      summary: "A device's scored readings in a time range, oldest first",
      request: { params: IdParam, query: ReadingsQuery },
      responses: {
        200: {
          description: "Readings",
          content: {
            "application/json": {
              schema: z.object({ device_id: z.string(), readings: z.array(StoredReadingSchema) }),
            },
          },
        },
        400: errorResponse("A malformed id or query (the parameter is named)"),
        404: errorResponse("No such device"),
      },
    }),
    async (c) => {
      const record = mustExist(c.req.valid("param").id);
      const query = c.req.valid("query");
      if (query.since !== undefined && query.until !== undefined && query.until < query.since) {
        throw invalidRequest([{
          field: "until",
          problem: `is before since (${query.since})`,
          value: query.until,
        }]);
      }
      const readings = await store.listReadings(record.id, {
        since: query.since === undefined ? undefined : Math.ceil(query.since),
        until: query.until === undefined ? undefined : Math.ceil(query.until),
        limit: query.limit ?? 1_000,
        latest: query.since === undefined,
      });
      return c.json({ device_id: record.id, readings }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/devices/{id}/alerts",
      tags: ["devices"],
      summary: "A device's stress alerts, newest first, with the owner's feedback",
      request: { params: IdParam },
      responses: {
        200: {
          description: "Alerts",
          content: { "application/json": { schema: z.array(AlertSchema) } },
        },
        400: errorResponse("A malformed id"),
        404: errorResponse("No such device"),
      },
    }),
    async (c) => c.json(await store.listAlerts(mustExist(c.req.valid("param").id).id), 200),
  );

  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/api/devices/{id}/feedback",
    tags: ["devices"],
    summary: "Confirm or reject an alert; the next training run learns from it",
    request: {
      params: IdParam,
      body: { required: true, content: { "application/json": { schema: FeedbackBody } } },
    },
    responses: {
      200: { description: "Recorded", content: { "application/json": { schema: AlertSchema } } },
      400: errorResponse("A bad body (the field is named)"),
      401: errorResponse("A token is configured and the request did not carry it"),
      404: errorResponse("No such device, or no such alert of this device"),
    },
  });
  app.post("/api/devices/:id/feedback", async (c) => {
    const { id } = parseOrReject(IdParam, { id: c.req.param("id") });
    const record = mustExist(id);
    const body = parseOrReject(FeedbackBody, parseJsonBody(await c.req.text()));
    const alert = await store.setFeedback(record.id, body.alert_id, {
      correct: body.correct,
      comment: body.comment ?? null,
      at: new Date().toISOString(),
    });
    if (!alert) {
      throw new ApiError(404, "not_found", `Device "${id}" has no alert "${body.alert_id}"`, [
        { field: "alert_id", problem: "no such alert of this device", value: body.alert_id },
      ]);
    }
    return c.json(alert, 200);
  });

  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/api/devices/{id}/workload",
    tags: ["devices"],
    summary: "Override a simulated device's workload (drive it into heavy load, or idle it)",
    request: {
      params: IdParam,
      body: { required: true, content: { "application/json": { schema: WorkloadBody } } },
    },
    responses: {
      202: {
        description: "The device got the override",
        content: {
          "application/json": {
            schema: z.object({
              device_id: z.string(),
              mode: z.string(),
              until: z.number().nullable().openapi({
                description: "Epoch seconds (simulated time) when the override ends; null: never",
              }),
            }),
          },
        },
      },
      400: errorResponse("A bad body (the field is named)"),
      401: errorResponse("A token is configured and the request did not carry it"),
      404: errorResponse("No such device"),
      409: errorResponse("An external device (its workload is its own) or a retired one"),
      503: errorResponse("The device's mailbox is full or its actor is stopped"),
    },
  });
  app.post("/api/devices/:id/workload", async (c) => {
    const { id } = parseOrReject(IdParam, { id: c.req.param("id") });
    const record = mustExist(id);
    const body = parseOrReject(WorkloadBody, parseJsonBody(await c.req.text()));
    if (record.source !== "simulated") {
      const why = record.source === "retired"
        ? `Device "${id}" is retired: it is not simulated in this run (see --devices)`
        : `Device "${id}" is external: its workload is its own`;
      throw new ApiError(409, `${record.source}_device`, why, [
        {
          field: "id",
          problem: `is a${record.source === "external" ? "n" : ""} ${record.source} device`,
          value: id,
        },
      ]);
    }
    if (body.mode === "auto" && body.minutes !== undefined) {
      throw invalidRequest([{
        field: "minutes",
        problem: "applies to heavy or idle only: auto is the device's own mix, with no end",
        value: body.minutes,
      }]);
    }
    const untilMs = body.minutes === undefined
      ? null
      : Math.round(fleet.clock.now() + body.minutes * 60_000);
    const sent = fleet.supervisor.tell(deviceAddress(id), {
      type: "set_workload",
      mode: body.mode as WorkloadMode,
      untilMs,
    });
    if (sent !== "accepted") {
      if (fleet.supervisor.info(deviceAddress(id))?.status === "stopped") {
        throw new ApiError(
          503,
          "actor_stopped",
          `Device "${id}"'s actor crashed too often and is stopped; restart it with ` +
            `POST /api/actors/device/${id}/restart`,
          [{ field: "id", problem: "its actor is stopped", value: id }],
        );
      }
      throw new ApiError(
        503,
        "unavailable",
        `Device "${id}" cannot take messages now (${sent})`,
        [],
        {
          "Retry-After": "1",
        },
      );
    }
    const until = untilMs === null ? null : Math.round(untilMs / 1000);
    return c.json({ device_id: id, mode: body.mode, until }, 202);
  });

  return app;
}
