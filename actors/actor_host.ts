/**
 * The generic part of an actor: it keeps the state of every actor placed on one
 * Worker and runs their behaviours over delivered envelopes. It knows nothing of
 * turbines or engineers, and works the same whether it hosts one actor or
 * thousands.
 *
 * @module
 */

import type { Behaviour } from "./behaviour.ts";
import { behaviours } from "./behaviours.ts";
import type {
  ActorParams,
  ActorSpawn,
  Address,
  Delivery,
  DeliveryOutcome,
  HostCommand,
  HostReport,
} from "./protocol.ts";
import { parseAddress } from "./protocol.ts";

interface HostedActor {
  behaviour: Behaviour<unknown>;
  state: unknown;
  params: ActorParams;
}

/** Raised inside a Worker by the fault-injection command. */
export class InjectedCrash extends Error {
  constructor(address: Address) {
    super(`Injected crash of ${address}`);
    this.name = "InjectedCrash";
  }
}

function describe(error: unknown): { message: string; stack?: string } {
  if (error instanceof Error) return { message: error.message, stack: error.stack };
  return { message: String(error) };
}

/**
 * Hosts actors and runs their behaviours.
 *
 * @example
 * ```ts
 * import { defaultActorParams } from "./params.ts";
 * const host = new ActorHost();
 * host.handle({
 *   type: "spawn",
 *   now: 0,
 *   actors: [{ address: "turbine/1", state: null, params: defaultActorParams(1) }],
 * });
 * ```
 */
export class ActorHost {
  #actors = new Map<Address, HostedActor>();
  #exclusive = true;

  /** Handles one command; returns the report to send back, if any. */
  handle(command: HostCommand): HostReport | null {
    switch (command.type) {
      case "configure":
        this.#exclusive = command.exclusive;
        return null;
      case "spawn":
        return this.#spawn(command.actors, command.now);
      case "deliver":
        return {
          type: "delivered",
          batch: command.batch,
          outcomes: command.deliveries.map((delivery) => this.#deliver(delivery)),
        };
      case "remove":
        for (const address of command.addresses) this.#actors.delete(address);
        return null;
      case "crash": {
        this.#actors.delete(command.address);
        const crash = new InjectedCrash(command.address);
        // Alone in its Worker the actor takes the Worker down with it, uncaught;
        // sharing a Worker, only the actor goes.
        if (this.#exclusive) throw crash;
        return { type: "crashed", address: command.address, error: describe(crash) };
      }
    }
  }

  #spawn(spawns: ActorSpawn[], now: number): HostReport {
    const states = spawns.map(({ address, state, params }) => {
      const kind = parseAddress(address)?.kind;
      if (!kind) throw new Error(`Cannot host "${address}": not an actor address`);
      const behaviour = behaviours[kind];
      const initial = state ?? behaviour.init(address, params, now);
      this.#actors.set(address, { behaviour, state: initial, params });
      return initial;
    });
    return { type: "spawned", addresses: spawns.map((s) => s.address), states };
  }

  #deliver({ address, envelopes, now }: Delivery): DeliveryOutcome {
    const actor = this.#actors.get(address);
    if (!actor) {
      return {
        address,
        effects: [],
        handled: 0,
        state: null,
        error: { message: `${address} is not hosted by this Worker` },
      };
    }
    const effects: DeliveryOutcome["effects"] = [];
    let handled = 0;
    try {
      for (; handled < envelopes.length; handled++) {
        const transition = actor.behaviour.receive(actor.state, envelopes[handled].message, {
          address,
          now,
          params: actor.params,
        });
        actor.state = transition.state;
        for (const effect of transition.effects) effects.push({ envelope: handled, effect });
      }
    } catch (error) {
      // The actor is gone from this host; the supervisor restarts it from the
      // state after its last handled envelope.
      this.#actors.delete(address);
      return { address, effects, handled, state: actor.state, error: describe(error) };
    }
    return { address, effects, handled, state: actor.state };
  }
}
