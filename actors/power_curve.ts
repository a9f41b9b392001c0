/**
 * The physics of a simulated wind turbine: its power curve and the wind it sees.
 *
 * @module
 */

import type { Random } from "./random.ts";

/** Wind speed below which the turbine produces nothing, m/s. */
export const CUT_IN_SPEED = 3;
/** Wind speed at which the turbine reaches its rated power, m/s. */
export const RATED_SPEED = 12;
/** Wind speed above which the turbine feathers its blades and stops, m/s. */
export const CUT_OUT_SPEED = 25;

/**
 * Electrical power in kW at a wind speed, for a turbine of the given rating.
 * Between cut-in and rated speed power grows with the cube of the wind speed
 * (the energy in the wind), normalised so that it meets rated power exactly.
 *
 * @example
 * ```ts
 * powerCurveKw(12, 2000); // 2000
 * powerCurveKw(2, 2000); // 0
 * ```
 */
export function powerCurveKw(windSpeed: number, ratedKw: number): number {
  if (windSpeed < CUT_IN_SPEED || windSpeed >= CUT_OUT_SPEED) return 0;
  if (windSpeed >= RATED_SPEED) return ratedKw;
  const cube = (v: number) => v * v * v;
  return ratedKw * (cube(windSpeed) - cube(CUT_IN_SPEED)) /
    (cube(RATED_SPEED) - cube(CUT_IN_SPEED));
}

/** The state of a turbine's local wind, kept in its snapshot. */
export interface WindState {
  /** Slowly varying mean wind speed, m/s. */
  meanSpeed: number;
  /** Current wind speed, m/s. */
  speed: number;
}

/**
 * Advances the wind by one second. The mean wind drifts towards a fresh Weibull
 * draw over minutes (weather), and the speed follows it with second-scale
 * turbulence and occasional gusts.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const wind = nextWind({ meanSpeed: 8, speed: 8 }, 8, new Random(1));
 * ```
 */
export function nextWind(wind: WindState, siteMean: number, random: Random): WindState {
  // Weibull scale for shape 2 with the given mean: mean = scale * Γ(1.5).
  const weather = random.weibull(siteMean / 0.8862, 2);
  const meanSpeed = wind.meanSpeed + (weather - wind.meanSpeed) * 0.002;
  const gust = random.next() < 0.003 ? random.between(3, 8) : 0;
  const turbulence = random.normal() * 0.12 * meanSpeed;
  const target = meanSpeed + turbulence + gust;
  const speed = Math.min(40, Math.max(0, wind.speed + (target - wind.speed) * 0.3));
  return { meanSpeed, speed };
}
