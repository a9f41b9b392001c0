/**
 * The contract between the generic actor runtime and what a turbine or an
 * engineer does. A behaviour is a pure function of (state, message): it returns
 * the next state and the effects the runtime must carry out, so it can be tested
 * without a Worker, a clock or a store.
 *
 * @module
 */

import type { ActorMessage, ActorParams, Address, Effect } from "./protocol.ts";

/** What a behaviour knows about the moment it handles a message. */
export interface ActorContext {
  address: Address;
  /** Simulated time, epoch milliseconds. */
  now: number;
  /** The parameters the actor was spawned with. */
  params: ActorParams;
}

/** The result of handling one message. */
export interface Transition<S> {
  state: S;
  effects: Effect[];
}

/** What an actor does: its initial state and how it reacts to a message. */
export interface Behaviour<S> {
  /** The state of a fresh actor (no snapshot yet). */
  init(address: Address, params: ActorParams, now: number): S;
  /** Handles one message. Throwing crashes the actor; the supervisor restarts it. */
  receive(state: S, message: ActorMessage, context: ActorContext): Transition<S>;
}
