/**
 * A local HTTPS Web Push service for tests: what FCM, Mozilla autopush or
 * Apple's service do with a push message, minus the browser. It serves a
 * throwaway certificate signed by a throwaway CA (made with the `openssl` CLI
 * at test time), checks the VAPID header (RFC 8292) the way a push service
 * does, decrypts the `aes128gcm` body (RFC 8291) with the subscription's
 * private key and auth secret, and records what arrived.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createECDH, type ECDH, randomBytes } from "node:crypto";
import https from "node:https";
import ece from "http_ece";
import type { AlertPayload } from "../notifications/alert.ts";
import type { PushStore, PushSubscriptionRecord } from "../store/push_store.ts";

/** What a subscription endpoint does with the next requests. */
export type EndpointBehaviour =
  | { kind: "accept" }
  | { kind: "gone" }
  | { kind: "unavailable"; times: number; retryAfterSeconds?: number }
  | { kind: "hang" };

/** One push message as the service received it. */
export interface ReceivedPush {
  id: string;
  /** `performance.now()` when it arrived, in this process. */
  at: number;
  ttl: string | null;
  urgency: string | null;
  topic: string | null;
  payload: AlertPayload;
}

/** One request as the service saw it, whatever it answered. */
export interface PushAttempt {
  id: string;
  at: number;
  status: number;
}

/** A browser's side of a subscription: the JSON it would POST, and its private key. */
export interface TestSubscription {
  id: string;
  json: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
  ecdh: ECDH;
  auth: Buffer;
}

async function run(command: string, args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, { args, cwd, stdout: "null" }).output();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  }
}

/** A test CA and a server certificate for 127.0.0.1 it signed, as PEM. */
export async function makeTestCertificates(): Promise<{ ca: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "gridfleet-push-ca-" });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await run("openssl", [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=gridfleet test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
    await run("openssl", [
      "req",
      ...ec,
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    ], dir);
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    );
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
    ], dir);
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    return {
      ca: await read("ca.pem"),
      cert: await read("server.pem"),
      key: await read("server.key"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, "base64url"));
}

/**
 * Checks an `Authorization: vapid t=<JWT>, k=<key>` header; returns why it is
 * bad, or null when a push service would accept it.
 */
async function vapidProblem(header: string | null, origin: string): Promise<string | null> {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? "");
  if (!match) return `Authorization is not "vapid t=..., k=...": ${header}`;
  const [, jwt, k] = match;
  const [head, body, signature] = jwt.split(".");
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64Url(k),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    fromBase64Url(signature),
    new TextEncoder().encode(`${head}.${body}`),
  );
  if (!ok) return "the JWT's ES256 signature does not verify with k";
  const header_ = JSON.parse(Buffer.from(head, "base64url").toString());
  if (header_.alg !== "ES256") return `the JWT's alg is ${header_.alg}`;
  const claims = JSON.parse(Buffer.from(body, "base64url").toString());
  if (claims.aud !== origin) return `aud is ${claims.aud}, not ${origin}`;
  const now = Date.now() / 1000;
  if (typeof claims.exp !== "number" || claims.exp <= now || claims.exp > now + 24 * 3600) {
    return `exp ${claims.exp} is not within the next 24 hours`;
  }
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub)) {
    return `sub ${claims.sub} is not a mailto: or https: URL`;
  }
  return null;
}

/**
 * The push service. `close()` it at the end of a test.
 *
 * @example
 * ```ts ignore
 * const service = await PushService.start();
 * const subscription = service.subscribe();
 * await service.close();
 * ```
 */
export class PushService {
  readonly received: ReceivedPush[] = [];
  readonly attempts: PushAttempt[] = [];
  readonly rejections: string[] = [];
  readonly agent: https.Agent;
  readonly origin: string;
  #subscriptions = new Map<string, TestSubscription>();
  #behaviours = new Map<string, EndpointBehaviour>();
  #hanging = new Set<() => void>();
  #server: Deno.HttpServer;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #next = 0;

  private constructor(server: Deno.HttpServer, origin: string, ca: string) {
    this.#server = server;
    this.origin = origin;
    this.agent = new https.Agent({ ca, keepAlive: true });
  }

  static async start(): Promise<PushService> {
    const { ca, cert, key } = await makeTestCertificates();
    const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
    let service: PushService | null = null;
    const server = Deno.serve(
      { cert, key, port: 0, hostname: "127.0.0.1", onListen: resolve },
      (request) => service!.#handle(request),
    );
    const addr = await promise;
    service = new PushService(server, `https://127.0.0.1:${addr.port}`, ca);
    return service;
  }

  /** A new subscription, as a browser's PushManager.subscribe() would create. */
  subscribe(behaviour: EndpointBehaviour = { kind: "accept" }): TestSubscription {
    const id = `s${++this.#next}-${randomBytes(4).toString("hex")}`;
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const subscription: TestSubscription = {
      id,
      ecdh,
      auth,
      json: {
        endpoint: `${this.origin}/push/${id}`,
        expirationTime: null,
        keys: {
          p256dh: ecdh.getPublicKey().toString("base64url"),
          auth: auth.toString("base64url"),
        },
      },
    };
    this.#subscriptions.set(id, subscription);
    this.#behaviours.set(id, behaviour);
    return subscription;
  }

  /**
   * A subscription whose endpoint refuses connections: a port that was just
   * free. Nothing of it is ever recorded.
   */
  subscribeUnreachable(): TestSubscription {
    const subscription = this.subscribe();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    subscription.json.endpoint = `https://127.0.0.1:${port}/push/${subscription.id}`;
    return subscription;
  }

  /** Changes what an endpoint does with the next requests. */
  behave(id: string, behaviour: EndpointBehaviour): void {
    this.#behaviours.set(id, behaviour);
  }

  /** Messages that reached subscription `id`. */
  receivedBy(id: string): ReceivedPush[] {
    return this.received.filter((push) => push.id === id);
  }

  /** Resolves once `test` holds after a request, or rejects after `timeoutMs`. */
  until(test: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (test()) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const timer = setTimeout(() => reject(new Error(`Not so after ${timeoutMs} ms`)), timeoutMs);
    this.#waiters.push({
      test,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    });
    return promise;
  }

  async close(): Promise<void> {
    for (const release of this.#hanging) release();
    this.agent.destroy();
    await this.#server.shutdown();
  }

  #notify(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.test()) return true;
      waiter.resolve();
      return false;
    });
  }

  #record(id: string, status: number): void {
    this.attempts.push({ id, at: performance.now(), status });
    this.#notify();
  }

  async #handle(request: Request): Promise<Response> {
    const id = /^\/push\/([\w-]+)$/.exec(new URL(request.url).pathname)?.[1] ?? "";
    const subscription = this.#subscriptions.get(id);
    if (request.method !== "POST" || !subscription) return new Response(null, { status: 404 });
    const behaviour = this.#behaviours.get(id)!;
    if (behaviour.kind === "hang") {
      this.#record(id, 0);
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#hanging.add(resolve);
      request.signal.addEventListener("abort", () => resolve());
      await promise;
      this.#hanging.delete(resolve);
      return new Response(null, { status: 503 });
    }
    if (behaviour.kind === "gone") {
      this.#record(id, 410);
      return new Response(null, { status: 410 });
    }
    if (behaviour.kind === "unavailable" && behaviour.times > 0) {
      behaviour.times--;
      this.#record(id, 503);
      const headers: Record<string, string> = behaviour.retryAfterSeconds === undefined
        ? {}
        : { "retry-after": String(behaviour.retryAfterSeconds) };
      return new Response(null, { status: 503, headers });
    }
    const problem = await vapidProblem(request.headers.get("authorization"), this.origin);
    if (problem) {
      this.rejections.push(problem);
      this.#record(id, 401);
      return new Response(problem, { status: 401 });
    }
    if (request.headers.get("content-encoding") !== "aes128gcm") {
      this.rejections.push(`Content-Encoding ${request.headers.get("content-encoding")}`);
      this.#record(id, 415);
      return new Response(null, { status: 415 });
    }
    const body = Buffer.from(await request.arrayBuffer());
    if (body.length > 4096) {
      this.rejections.push(`A body of ${body.length} bytes`);
      this.#record(id, 413);
      return new Response(null, { status: 413 });
    }
    const plain = ece.decrypt(body, {
      version: "aes128gcm",
      privateKey: subscription.ecdh,
      authSecret: subscription.auth,
    });
    this.received.push({
      id,
      at: performance.now(),
      ttl: request.headers.get("ttl"),
      urgency: request.headers.get("urgency"),
      topic: request.headers.get("topic"),
      payload: JSON.parse(plain.toString("utf8")),
    });
    this.#record(id, 201);
    return new Response(null, { status: 201, headers: { location: `/message/${id}` } });
  }
}

/** Stores `subscription` as a browser would register it, with no filter unless one is given. */
export async function storeSubscription(
  store: PushStore,
  subscription: TestSubscription,
  filter: Partial<PushSubscriptionRecord> = {},
): Promise<void> {
  await store.putSubscription({
    ...subscription.json,
    kinds: null,
    turbines: null,
    created_at: Date.now(),
    ...filter,
  });
}
