/**
 * Which behaviour runs an actor of each kind. Worker hosts look behaviours up
 * here, so the same code runs under every placement.
 *
 * @module
 */

import type { Behaviour } from "./behaviour.ts";
import { deviceBehaviour } from "./device.ts";
import { engineerBehaviour } from "./engineer.ts";
import type { ActorKind } from "./protocol.ts";
import { turbineBehaviour } from "./turbine.ts";

/** The behaviour of each actor kind. */
export const behaviours: Record<ActorKind, Behaviour<unknown>> = {
  turbine: turbineBehaviour as Behaviour<unknown>,
  engineer: engineerBehaviour as Behaviour<unknown>,
  device: deviceBehaviour as Behaviour<unknown>,
};
