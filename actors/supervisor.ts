/**
 * The supervisor owns every actor: it places them on Workers, keeps their
 * bounded mailboxes, routes the messages they send, fires their reminders on
 * the simulation clock, persists their snapshots and restarts them one for one
 * when they crash (exponential backoff with jitter, and an intensity limit after
 * which the actor stays stopped and an alarm is raised), after Erlang/OTP.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { HashRing } from "./consistent_hash.ts";
import type {
  ActorEvent,
  ActorKind,
  ActorMessage,
  ActorParams,
  Address,
  Delivery,
  DeliveryOutcome,
  Envelope,
  HostCommand,
  HostReport,
  Reminder,
} from "./protocol.ts";
import { parseAddress } from "./protocol.ts";
import { Random } from "./random.ts";

/** What the supervisor persists for an actor so that a restart resumes from it. */
export interface ActorSnapshot {
  state: unknown;
  reminders: Reminder[];
}

/** Where snapshots live (Deno KV in production). */
export interface SnapshotStore {
  loadSnapshots(addresses: Address[]): Promise<Map<Address, ActorSnapshot>>;
  saveSnapshots(snapshots: Map<Address, ActorSnapshot>): Promise<void>;
}

/** Something the supervisor wants operators to know about. */
export type SupervisorNotice =
  | { type: "actor.restarted"; address: Address; restarts: number; error: string }
  | { type: "actor.stopped"; address: Address; restarts: number; error: string };

/** How actors are spread over Workers. */
export type Placement = "worker" | "pool";

/** Options of a supervisor. */
export interface SupervisorOptions {
  clock: Clock;
  params: ActorParams;
  snapshots: SnapshotStore;
  /** Receives every event an actor emits; a returned promise holds the actor back until it settles. */
  onEvent(address: Address, event: ActorEvent): void | Promise<void>;
  onNotice?(notice: SupervisorNotice): void;
  placement?: Placement;
  /** Workers in the pool placement; default 2 × the number of cores. */
  poolSize?: number;
  /** Envelopes a mailbox holds before it refuses more; default 1,000. */
  mailboxCapacity?: number;
  /** Restarts allowed within `restartWindowMs` before the actor is stopped; default 5. */
  maxRestarts?: number;
  restartWindowMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Deliver in lockstep rounds with outcomes applied in address order: same input, same run. */
  deterministic?: boolean;
  /** Interval of the periodic snapshot flush, wall milliseconds; default 1,000. */
  snapshotIntervalMs?: number;
}

/** One row of `GET /api/actors`. */
export interface ActorInfo {
  address: Address;
  kind: ActorKind;
  worker: number;
  status: ActorStatus;
  restarts: number;
  mailbox: number;
  overflow: number;
  lastError: string | null;
}

/** A message nobody could take. */
export interface DeadLetter {
  at: string;
  to: string;
  type: string;
  reason: "no_such_actor" | "actor_stopped" | "crashed_while_handling" | "shutting_down";
}

/** Lifecycle of a supervised actor. */
export type ActorStatus = "starting" | "running" | "restarting" | "stopped";

/** The answer to a `tell`. */
export type TellResult = "accepted" | "mailbox_full" | "dead_letter";

/** An ask that did not get its answer. */
export class AskError extends Error {
  constructor(message: string, readonly reason: "timeout" | "dead_letter" | "crashed") {
    super(message);
    this.name = "AskError";
  }
}

interface ActorRecord {
  address: Address;
  kind: ActorKind;
  slot: WorkerSlot;
  status: ActorStatus;
  state: unknown;
  mailbox: Envelope[];
  inFlight: Envelope[] | null;
  /** Messages this actor sent to full mailboxes; it gets nothing new until they are out. */
  outbox: { to: Address; message: ActorMessage }[];
  heldBy: Promise<void> | null;
  /** A crash was injected and not yet reported: deliver nothing more. */
  crashPending: boolean;
  reminders: Map<string, { reminder: Reminder; durable: boolean; handle: number }>;
  recentRestarts: number[];
  restarts: number;
  overflow: number;
  lastError: string | null;
  dirty: boolean;
}

interface WorkerSlot {
  id: number;
  worker: Worker;
  alive: boolean;
  batch: number | null;
  actors: Set<Address>;
}

interface PendingAsk {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const DEAD_LETTERS_KEPT = 200;
const ENVELOPES_PER_DELIVERY = 256;

/**
 * Hosts and supervises the actors.
 *
 * @example
 * ```ts ignore
 * const supervisor = new Supervisor({ clock, params, snapshots, onEvent });
 * await supervisor.start(["turbine/1", "engineer/1"]);
 * supervisor.tell("turbine/1", { type: "tick", now: clock.now() });
 * const state = await supervisor.ask("turbine/1", { type: "get_state" });
 * ```
 */
export class Supervisor {
  readonly placement: Placement;
  #options: Required<Omit<SupervisorOptions, "onNotice">> & Pick<SupervisorOptions, "onNotice">;
  #actors = new Map<Address, ActorRecord>();
  #slots: WorkerSlot[] = [];
  #ring: HashRing | null = null;
  #ready = new Set<Address>();
  /** Actors holding messages for full mailboxes. */
  #backedUp = new Set<ActorRecord>();
  #asks = new Map<number, PendingAsk>();
  #nextAskId = 1;
  #nextBatch = 1;
  #nextWorkerId = 1;
  #batches = new Map<number, { slot: WorkerSlot; deliveries: Delivery[] }>();
  #roundReports: { slot: WorkerSlot; outcomes: DeliveryOutcome[] }[] = [];
  #pumpQueued = false;
  #idleWaiters: (() => void)[] = [];
  #spawnWaiters = new Map<Address, () => void>();
  #random: Random;
  #flushTimer: ReturnType<typeof setInterval> | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #stopping = false;
  #deadLetters: DeadLetter[] = [];
  #deadLetterCount = 0;
  #messagesDelivered = 0;

  /** The parameters every actor is spawned with. */
  get params(): ActorParams {
    return this.#options.params;
  }

  /** Restarts allowed within the window before an actor is stopped. */
  get maxRestarts(): number {
    return this.#options.maxRestarts;
  }

  get restartWindowMs(): number {
    return this.#options.restartWindowMs;
  }

  constructor(options: SupervisorOptions) {
    this.placement = options.placement ?? "worker";
    this.#options = {
      ...options,
      placement: this.placement,
      poolSize: options.poolSize ?? 2 * navigator.hardwareConcurrency,
      mailboxCapacity: options.mailboxCapacity ?? 1000,
      maxRestarts: options.maxRestarts ?? 5,
      restartWindowMs: options.restartWindowMs ?? 30_000,
      backoffBaseMs: options.backoffBaseMs ?? 100,
      backoffMaxMs: options.backoffMaxMs ?? 5_000,
      deterministic: options.deterministic ?? false,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 1_000,
    };
    this.#random = new Random(options.params.seed ^ 0x5eed);
  }

  /** Places and starts the actors, each from its persisted snapshot if there is one. */
  async start(addresses: Address[]): Promise<void> {
    if (this.placement === "pool" && this.#slots.length === 0) {
      for (let i = 0; i < this.#options.poolSize; i++) {
        this.#slots.push(this.#newSlot(false, `pool-${i}`));
      }
      this.#ring = new HashRing(this.#slots.length);
    }
    const snapshots = await this.#options.snapshots.loadSnapshots(addresses);
    const spawns = new Map<WorkerSlot, Address[]>();
    for (const address of addresses) {
      const parsed = parseAddress(address);
      if (!parsed) throw new Error(`Cannot start "${address}": not an actor address`);
      if (this.#actors.has(address)) throw new Error(`Actor ${address} already exists`);
      const slot = this.#ring
        ? this.#slots[this.#ring.nodeFor(address)]
        : this.#newSlot(true, address);
      slot.actors.add(address);
      const snapshot = snapshots.get(address);
      this.#actors.set(address, {
        address,
        kind: parsed.kind,
        slot,
        status: "starting",
        state: snapshot?.state ?? null,
        mailbox: [],
        inFlight: null,
        outbox: [],
        heldBy: null,
        crashPending: false,
        reminders: new Map(),
        recentRestarts: [],
        restarts: 0,
        overflow: 0,
        lastError: null,
        dirty: false,
      });
      for (const reminder of snapshot?.reminders ?? []) {
        this.#actors.get(address)!.reminders.set(reminder.key, {
          reminder,
          durable: true,
          handle: 0,
        });
      }
      spawns.set(slot, [...(spawns.get(slot) ?? []), address]);
    }
    await Promise.all([...spawns].map(([slot, group]) => this.#spawn(slot, group)));
    this.#flushTimer ??= setInterval(() => this.flushSnapshots(), this.#options.snapshotIntervalMs);
  }

  /** Sends a message without waiting for an answer. */
  tell(to: Address, message: ActorMessage): TellResult {
    return this.#enqueueFromOutside(to, { message });
  }

  /** Sends a message and waits for the actor's reply, at most `timeoutMs` of wall time. */
  ask<T = unknown>(to: Address, message: ActorMessage, timeoutMs = 2_000): Promise<T> {
    const askId = this.#nextAskId++;
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    const timer = setTimeout(() => {
      this.#asks.delete(askId);
      reject(
        new AskError(`${to} did not answer "${message.type}" within ${timeoutMs} ms`, "timeout"),
      );
    }, timeoutMs);
    this.#asks.set(askId, { resolve: resolve as (v: unknown) => void, reject, timer });
    const result = this.#enqueueFromOutside(to, { message, askId });
    if (result !== "accepted") {
      this.#settleAsk(
        askId,
        new AskError(`${to} cannot take "${message.type}": ${result}`, "dead_letter"),
      );
    }
    return promise;
  }

  /** Sends the same message to many actors, skipping stopped ones; returns how many accepted it. */
  broadcast(addresses: Iterable<Address>, message: ActorMessage): number {
    let accepted = 0;
    for (const address of addresses) {
      if (this.#actors.get(address)?.status === "stopped") continue;
      if (this.tell(address, message) === "accepted") accepted++;
    }
    return accepted;
  }

  /**
   * Starts a stopped actor again from its last snapshot, with a fresh restart
   * budget (an operator's decision after an alarm). False if it is not stopped.
   */
  async revive(address: Address): Promise<boolean> {
    const record = this.#actors.get(address);
    if (!record || record.status !== "stopped" || this.#stopping) return false;
    record.recentRestarts = [];
    record.status = "restarting";
    await this.#restart(record, "revived by an operator");
    return true;
  }

  /** Fault injection: the actor throws inside its Worker. */
  crash(address: Address): boolean {
    const record = this.#actors.get(address);
    if (!record || record.status !== "running" || !record.slot.alive) return false;
    record.crashPending = true;
    this.#post(record.slot, { type: "crash", address });
    return true;
  }

  has(address: Address): boolean {
    return this.#actors.has(address);
  }

  /** The addresses of every actor of a kind, in start order. */
  addresses(kind?: ActorKind): Address[] {
    const all = [...this.#actors.values()];
    return all.filter((r) => !kind || r.kind === kind).map((r) => r.address);
  }

  /** The last state an actor reported, or undefined for an unknown address. */
  stateOf<T>(address: Address): T | undefined {
    return this.#actors.get(address)?.state as T | undefined;
  }

  info(address: Address): ActorInfo | undefined {
    const record = this.#actors.get(address);
    return record && this.#describe(record);
  }

  list(): ActorInfo[] {
    return [...this.#actors.values()].map((record) => this.#describe(record));
  }

  deadLetters(): { count: number; recent: DeadLetter[] } {
    return { count: this.#deadLetterCount, recent: [...this.#deadLetters] };
  }

  /** Counters for the health endpoint and the benchmarks. */
  stats(): { actors: number; workers: number; delivered: number; deadLetters: number } {
    return {
      actors: this.#actors.size,
      workers: new Set([...this.#actors.values()].map((r) => r.slot.id)).size,
      delivered: this.#messagesDelivered,
      deadLetters: this.#deadLetterCount,
    };
  }

  /** Resolves when no actor has work: mailboxes empty (or stopped) and nothing in flight. */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idleWaiters.push(resolve);
    return promise;
  }

  /** Writes every changed snapshot to the store. */
  flushSnapshots(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const dirty = new Map<Address, ActorSnapshot>();
      for (const record of this.#actors.values()) {
        if (!record.dirty) continue;
        record.dirty = false;
        dirty.set(record.address, this.#snapshotOf(record));
      }
      if (dirty.size > 0) await this.#options.snapshots.saveSnapshots(dirty);
    }).catch((error) => console.error(`Cannot persist actor snapshots: ${error.message}`));
    return this.#flushing;
  }

  /**
   * Stops the actors: refuses messages from outside, lets the actors finish
   * what is in their mailboxes (at most `drainMs`), persists every snapshot and
   * ends the Workers.
   */
  async stop(drainMs = 5_000): Promise<void> {
    this.#stopping = true;
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.whenIdle(),
      new Promise((resolve) => (drainTimer = setTimeout(resolve, drainMs))),
    ]);
    clearTimeout(drainTimer);
    clearInterval(this.#flushTimer);
    for (const record of this.#actors.values()) {
      record.dirty = true;
      this.#cancelReminders(record);
    }
    await this.flushSnapshots();
    for (const slot of this.#slots) this.#retire(slot);
    for (const record of this.#actors.values()) this.#retire(record.slot);
    for (const [id, ask] of this.#asks) {
      clearTimeout(ask.timer);
      ask.reject(new AskError("The supervisor stopped", "dead_letter"));
      this.#asks.delete(id);
    }
  }

  // ---- placement and Workers ----

  #newSlot(exclusive: boolean, name: string): WorkerSlot {
    const worker = new Worker(new URL("./worker_host.ts", import.meta.url).href, {
      type: "module",
      name,
    });
    const slot: WorkerSlot = {
      id: this.#nextWorkerId++,
      worker,
      alive: true,
      batch: null,
      actors: new Set(),
    };
    worker.onmessage = (event: MessageEvent<HostReport>) => {
      if (slot.alive) this.#onReport(slot, event.data);
    };
    worker.onerror = (event) => {
      // Without preventDefault an uncaught error in a Worker ends the whole process.
      event.preventDefault();
      this.#onWorkerDied(slot, event.message ?? "Worker error");
    };
    worker.postMessage({ type: "configure", exclusive } satisfies HostCommand);
    return slot;
  }

  #retire(slot: WorkerSlot): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.worker.terminate();
  }

  #spawn(slot: WorkerSlot, addresses: Address[]): Promise<void> {
    const waits = addresses.map((address) => {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#spawnWaiters.set(address, resolve);
      return promise;
    });
    this.#post(slot, {
      type: "spawn",
      now: this.#options.clock.now(),
      actors: addresses.map((address) => ({
        address,
        state: this.#actors.get(address)!.state,
        params: this.#options.params,
      })),
    });
    return Promise.all(waits).then(() => {});
  }

  #post(slot: WorkerSlot, command: HostCommand): void {
    slot.worker.postMessage(command);
  }

  // ---- mailboxes and delivery ----

  /** While the supervisor stops, only actors still talk to each other. */
  #enqueueFromOutside(to: Address, envelope: Envelope): TellResult {
    if (this.#stopping) {
      this.#deadLetter(to, envelope, "shutting_down");
      return "dead_letter";
    }
    return this.#enqueue(to, envelope);
  }

  #enqueue(to: Address, envelope: Envelope): TellResult {
    const record = this.#actors.get(to);
    if (!record) {
      this.#deadLetter(to, envelope, "no_such_actor");
      return "dead_letter";
    }
    if (record.status === "stopped") {
      this.#deadLetter(to, envelope, "actor_stopped");
      return "dead_letter";
    }
    const mailbox = record.mailbox;
    const last = mailbox[mailbox.length - 1];
    if (envelope.message.type === "tick" && last?.message.type === "tick" && !last.askId) {
      // A tick says "catch up to now"; a newer one replaces a waiting one.
      last.message = envelope.message;
      return "accepted";
    }
    if (mailbox.length >= this.#options.mailboxCapacity) {
      record.overflow++;
      return "mailbox_full";
    }
    mailbox.push(envelope);
    this.#markReady(record);
    return "accepted";
  }

  #markReady(record: ActorRecord): void {
    this.#ready.add(record.address);
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  #runnable(record: ActorRecord): boolean {
    return record.status === "running" && !record.crashPending && record.inFlight === null &&
      record.heldBy === null &&
      record.outbox.length === 0 && record.slot.alive && record.slot.batch === null;
  }

  #pump(): void {
    if (this.#options.deterministic && this.#batches.size > 0) return;
    this.#retryOutboxes();
    const bySlot = new Map<WorkerSlot, Delivery[]>();
    const addresses = [...this.#ready];
    if (this.#options.deterministic) addresses.sort();
    for (const address of addresses) {
      const record = this.#actors.get(address);
      if (!record || record.mailbox.length === 0) {
        this.#ready.delete(address);
        continue;
      }
      if (!this.#runnable(record)) continue;
      const envelopes = record.mailbox.splice(0, ENVELOPES_PER_DELIVERY);
      if (record.mailbox.length === 0) this.#ready.delete(address);
      record.inFlight = envelopes;
      const deliveries = bySlot.get(record.slot) ?? [];
      deliveries.push({ address, envelopes, now: this.#options.clock.now() });
      bySlot.set(record.slot, deliveries);
    }
    for (const [slot, deliveries] of bySlot) {
      const batch = this.#nextBatch++;
      slot.batch = batch;
      this.#batches.set(batch, { slot, deliveries });
      this.#post(slot, { type: "deliver", batch, deliveries });
    }
    this.#checkIdle();
  }

  #retryOutboxes(): void {
    for (const record of this.#backedUp) {
      while (record.outbox.length > 0) {
        const { to, message } = record.outbox[0];
        if (this.#enqueue(to, { message }) === "mailbox_full") break;
        record.outbox.shift();
      }
      if (record.outbox.length === 0) this.#backedUp.delete(record);
    }
  }

  #onReport(slot: WorkerSlot, report: HostReport): void {
    switch (report.type) {
      case "spawned":
        report.addresses.forEach((address, i) => this.#onSpawned(address, report.states[i]));
        break;
      case "delivered": {
        const batch = this.#batches.get(report.batch);
        if (!batch) return;
        this.#batches.delete(report.batch);
        slot.batch = null;
        if (this.#options.deterministic) {
          this.#roundReports.push({ slot, outcomes: report.outcomes });
          if (this.#batches.size > 0) return;
          const outcomes = this.#roundReports.flatMap((r) => r.outcomes);
          this.#roundReports = [];
          outcomes.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
          for (const outcome of outcomes) this.#applyOutcome(outcome);
        } else {
          for (const outcome of report.outcomes) this.#applyOutcome(outcome);
        }
        this.#schedulePump();
        break;
      }
      case "crashed": {
        const record = this.#actors.get(report.address);
        if (record) this.#onCrash(record, report.error.message);
        break;
      }
    }
  }

  #onSpawned(address: Address, state: unknown): void {
    const record = this.#actors.get(address);
    if (!record) return;
    record.state = state;
    record.status = "running";
    record.dirty = true;
    for (const entry of record.reminders.values()) this.#arm(record, entry.reminder, entry.durable);
    if (record.mailbox.length > 0) this.#markReady(record);
    this.#spawnWaiters.get(address)?.();
    this.#spawnWaiters.delete(address);
    this.#schedulePump();
  }

  #applyOutcome(outcome: DeliveryOutcome): void {
    const record = this.#actors.get(outcome.address);
    if (!record) return;
    const envelopes = record.inFlight ?? [];
    record.inFlight = null;
    this.#messagesDelivered += outcome.handled;
    if (outcome.handled > 0) {
      record.state = outcome.state;
      record.dirty = true;
    }
    for (const { envelope, effect } of outcome.effects) {
      switch (effect.type) {
        case "send":
          if (this.#enqueue(effect.to, { message: effect.message }) === "mailbox_full") {
            record.outbox.push({ to: effect.to, message: effect.message });
            this.#backedUp.add(record);
          }
          break;
        case "reply": {
          const askId = envelopes[envelope]?.askId;
          if (askId !== undefined) this.#settleAsk(askId, null, effect.value);
          break;
        }
        case "emit": {
          const hold = this.#options.onEvent(record.address, effect.event);
          if (hold) {
            const release = () => {
              record.heldBy = null;
              this.#schedulePump();
            };
            record.heldBy = hold.then(release, release);
          }
          break;
        }
        case "remind":
          this.#remind(record, effect);
          break;
      }
    }
    // Asks answered without a reply resolve with nothing rather than time out.
    for (let i = 0; i < outcome.handled; i++) {
      const askId = envelopes[i].askId;
      if (askId !== undefined && this.#asks.has(askId)) this.#settleAsk(askId, null, undefined);
    }
    if (outcome.error) {
      const failed = envelopes[outcome.handled];
      if (failed) {
        this.#deadLetter(record.address, failed, "crashed_while_handling");
        if (failed.askId !== undefined) {
          this.#settleAsk(failed.askId, new AskError(outcome.error.message, "crashed"));
        }
      }
      // What it had not reached yet waits for the restarted actor.
      record.mailbox.unshift(...envelopes.slice(outcome.handled + 1));
      if (record.slot.actors.size === 1 && this.placement === "worker") {
        this.#retire(record.slot);
      }
      this.#onCrash(record, outcome.error.message);
    } else if (record.mailbox.length > 0) {
      this.#markReady(record);
    }
  }

  #settleAsk(askId: number, error: Error | null, value?: unknown): void {
    const ask = this.#asks.get(askId);
    if (!ask) return;
    this.#asks.delete(askId);
    clearTimeout(ask.timer);
    if (error) ask.reject(error);
    else ask.resolve(value);
  }

  #deadLetter(to: string, envelope: Envelope, reason: DeadLetter["reason"]): void {
    this.#deadLetterCount++;
    this.#deadLetters.push({
      at: new Date().toISOString(),
      to,
      type: envelope.message.type,
      reason,
    });
    if (this.#deadLetters.length > DEAD_LETTERS_KEPT) this.#deadLetters.shift();
    if (envelope.askId !== undefined) {
      this.#settleAsk(envelope.askId, new AskError(`${to}: ${reason}`, "dead_letter"));
    }
  }

  // ---- reminders ----

  #remind(
    record: ActorRecord,
    effect: { key: string; at: number; message: ActorMessage; durable: boolean },
  ): void {
    const existing = record.reminders.get(effect.key);
    if (existing) this.#options.clock.cancel(existing.handle);
    const reminder = { key: effect.key, at: effect.at, message: effect.message };
    record.reminders.set(effect.key, { reminder, durable: effect.durable, handle: 0 });
    this.#arm(record, reminder, effect.durable);
    if (effect.durable) record.dirty = true;
  }

  #arm(record: ActorRecord, reminder: Reminder, durable: boolean): void {
    const handle = this.#options.clock.schedule(reminder.at, () => {
      const entry = record.reminders.get(reminder.key);
      if (entry?.handle !== handle) return;
      record.reminders.delete(reminder.key);
      record.dirty = true;
      this.#enqueue(record.address, { message: reminder.message });
    });
    record.reminders.set(reminder.key, { reminder, durable, handle });
  }

  #cancelReminders(record: ActorRecord): void {
    for (const [key, entry] of record.reminders) {
      this.#options.clock.cancel(entry.handle);
      // Timers die with the actor; durable reminders wait to be re-armed.
      if (!entry.durable) record.reminders.delete(key);
    }
  }

  #snapshotOf(record: ActorRecord): ActorSnapshot {
    const reminders = [...record.reminders.values()].filter((e) => e.durable).map((e) =>
      e.reminder
    );
    return { state: record.state, reminders };
  }

  // ---- supervision ----

  #onWorkerDied(slot: WorkerSlot, error: string): void {
    if (!slot.alive) return;
    slot.alive = false;
    slot.worker.terminate();
    for (const [batch, entry] of this.#batches) {
      if (entry.slot !== slot) continue;
      this.#batches.delete(batch);
      // Their outcomes are lost with the Worker: the envelopes go back to the
      // front of the mailboxes and the actors redo them from their snapshots.
      for (const delivery of entry.deliveries) {
        const record = this.#actors.get(delivery.address);
        if (!record) continue;
        record.mailbox.unshift(...(record.inFlight ?? []));
        record.inFlight = null;
      }
    }
    slot.batch = null;
    if (this.placement === "pool") {
      const replacement = this.#newSlot(false, `pool-${this.#slots.indexOf(slot)}`);
      replacement.id = slot.id;
      this.#slots[this.#slots.indexOf(slot)] = replacement;
      for (const address of slot.actors) {
        replacement.actors.add(address);
        this.#actors.get(address)!.slot = replacement;
      }
    }
    for (const address of slot.actors) {
      const record = this.#actors.get(address);
      if (record && record.status !== "stopped") this.#onCrash(record, error);
    }
    if (this.#options.deterministic) this.#schedulePump();
  }

  #onCrash(record: ActorRecord, error: string): void {
    record.crashPending = false;
    if (record.status === "restarting" || record.status === "stopped") return;
    record.lastError = error;
    record.status = "restarting";
    this.#cancelReminders(record);
    const now = Date.now();
    record.recentRestarts = record.recentRestarts.filter(
      (t) => now - t < this.#options.restartWindowMs,
    );
    if (record.recentRestarts.length >= this.#options.maxRestarts) {
      record.status = "stopped";
      for (const envelope of record.mailbox.splice(0)) {
        this.#deadLetter(record.address, envelope, "actor_stopped");
      }
      this.#ready.delete(record.address);
      this.#options.onNotice?.({
        type: "actor.stopped",
        address: record.address,
        restarts: record.restarts,
        error,
      });
      this.#checkIdle();
      return;
    }
    const attempt = record.recentRestarts.length;
    record.recentRestarts.push(now);
    const ceiling = Math.min(
      this.#options.backoffMaxMs,
      this.#options.backoffBaseMs * 2 ** attempt,
    );
    // "Equal jitter": half the delay fixed, half random, so restarts do not stampede.
    const delay = ceiling / 2 + this.#random.next() * ceiling / 2;
    setTimeout(() => this.#restart(record, error), delay);
  }

  async #restart(record: ActorRecord, error: string): Promise<void> {
    if (this.#stopping) return;
    // Resume from the snapshot in the store, written now if it was not yet.
    const snapshot = this.#snapshotOf(record);
    await this.#options.snapshots.saveSnapshots(new Map([[record.address, snapshot]]));
    const stored = (await this.#options.snapshots.loadSnapshots([record.address]))
      .get(record.address);
    record.state = stored?.state ?? null;
    record.reminders.clear();
    for (const reminder of stored?.reminders ?? []) {
      record.reminders.set(reminder.key, { reminder, durable: true, handle: 0 });
    }
    if (!record.slot.alive) {
      const slot = this.#newSlot(true, record.address);
      slot.actors.add(record.address);
      record.slot = slot;
    }
    record.restarts++;
    this.#options.onNotice?.({
      type: "actor.restarted",
      address: record.address,
      restarts: record.restarts,
      error,
    });
    await this.#spawn(record.slot, [record.address]);
  }

  // ---- idleness ----

  #isIdle(): boolean {
    if (this.#batches.size > 0) return false;
    for (const address of this.#ready) {
      const record = this.#actors.get(address);
      if (record && record.status !== "stopped" && record.mailbox.length > 0) return false;
    }
    for (const record of this.#actors.values()) {
      if (record.heldBy || record.outbox.length > 0 || record.status === "starting") return false;
      if (record.status === "restarting") return false;
    }
    return true;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #describe(record: ActorRecord): ActorInfo {
    return {
      address: record.address,
      kind: record.kind,
      worker: record.slot.id,
      status: record.status,
      restarts: record.restarts,
      mailbox: record.mailbox.length,
      overflow: record.overflow,
      lastError: record.lastError,
    };
  }
}
