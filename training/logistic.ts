/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively
 * reweighted least squares) over standardised features, with a weight per
 * example. Small and dependency-free: the models here have a few dozen
 * coefficients and some hundred thousand examples.
 *
 * @module
 */

/** Examples to fit: `features` holds `count` rows of `dimensions` values, row after row. */
export interface LogisticData {
  features: Float64Array;
  dimensions: number;
  /** 1 for a positive example, 0 for a negative one. */
  labels: Uint8Array;
  /** How much each example counts (1 for a plain one). */
  weights: Float64Array;
}

/** Settings of {@linkcode fitLogistic}. */
export interface LogisticOptions {
  /** L2 penalty on the standardised weights (not the bias). */
  l2: number;
  /** Newton steps at most; default 50. */
  maxIterations?: number;
}

/** A fitted model: standardisation, coefficients and how the fit went. */
export interface LogisticFit {
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  iterations: number;
}

/**
 * Fits the model. Features whose spread is zero get a standard deviation of 1
 * (and so a weight that the penalty keeps at 0).
 *
 * @example
 * ```ts
 * const fit = fitLogistic({
 *   features: new Float64Array([0, 1, 2, 3]),
 *   dimensions: 1,
 *   labels: new Uint8Array([0, 0, 1, 1]),
 *   weights: new Float64Array([1, 1, 1, 1]),
 * }, { l2: 1 });
 * fit.weights[0] > 0; // true
 * ```
 */
export function fitLogistic(data: LogisticData, options: LogisticOptions): LogisticFit {
  const { features, dimensions: d, labels, weights } = data;
  const count = labels.length;
  if (features.length !== count * d || weights.length !== count) {
    throw new Error(
      `Logistic data sizes disagree: ${features.length} feature values for ${count} examples ` +
        `of ${d} dimensions and ${weights.length} weights`,
    );
  }
  if (count === 0) throw new Error("Cannot fit a logistic regression to no examples");
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) mean[j] += features[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= count;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) std[j] += (features[i * d + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < d; j++) {
    const spread = Math.sqrt(std[j] / count);
    std[j] = spread > 1e-12 ? spread : 1;
  }
  // theta[0] is the bias, theta[1..d] the weights of the standardised features.
  const size = d + 1;
  const theta = new Float64Array(size);
  const row = new Float64Array(size);
  const maxIterations = options.maxIterations ?? 50;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const gradient = new Float64Array(size);
    const hessian = new Float64Array(size * size);
    for (let i = 0; i < count; i++) {
      row[0] = 1;
      for (let j = 0; j < d; j++) row[j + 1] = (features[i * d + j] - mean[j]) / std[j];
      let z = 0;
      for (let j = 0; j < size; j++) z += theta[j] * row[j];
      const p = 1 / (1 + Math.exp(-z));
      const w = weights[i];
      const residual = w * (p - labels[i]);
      const curvature = w * Math.max(p * (1 - p), 1e-10);
      for (let a = 0; a < size; a++) {
        gradient[a] += residual * row[a];
        const scaled = curvature * row[a];
        for (let b = 0; b <= a; b++) hessian[a * size + b] += scaled * row[b];
      }
    }
    for (let a = 1; a < size; a++) {
      gradient[a] += options.l2 * theta[a];
      hessian[a * size + a] += options.l2;
    }
    for (let a = 0; a < size; a++) {
      for (let b = a + 1; b < size; b++) hessian[a * size + b] = hessian[b * size + a];
    }
    const step = solve(hessian, gradient, size);
    let largest = 0;
    for (let j = 0; j < size; j++) {
      theta[j] -= step[j];
      largest = Math.max(largest, Math.abs(step[j]));
    }
    if (largest < 1e-8) break;
  }
  return { mean, std, weights: Array.from(theta.subarray(1)), bias: theta[0], iterations };
}

/** Solves `matrix · x = vector` by Gaussian elimination with partial pivoting. */
function solve(matrix: Float64Array, vector: Float64Array, size: number): Float64Array {
  const a = Float64Array.from(matrix);
  const b = Float64Array.from(vector);
  for (let column = 0; column < size; column++) {
    let pivot = column;
    for (let r = column + 1; r < size; r++) {
      if (Math.abs(a[r * size + column]) > Math.abs(a[pivot * size + column])) pivot = r;
    }
    if (Math.abs(a[pivot * size + column]) < 1e-300) {
      throw new Error("The logistic regression's Hessian is singular; add L2 regularisation");
    }
    if (pivot !== column) {
      for (let c = 0; c < size; c++) {
        const t = a[column * size + c];
        a[column * size + c] = a[pivot * size + c];
        a[pivot * size + c] = t;
      }
      const t = b[column];
      b[column] = b[pivot];
      b[pivot] = t;
    }
    for (let r = column + 1; r < size; r++) {
      const factor = a[r * size + column] / a[column * size + column];
      if (factor === 0) continue;
      for (let c = column; c < size; c++) a[r * size + c] -= factor * a[column * size + c];
      b[r] -= factor * b[column];
    }
  }
  const x = new Float64Array(size);
  for (let r = size - 1; r >= 0; r--) {
    let sum = b[r];
    for (let c = r + 1; c < size; c++) sum -= a[r * size + c] * x[c];
    x[r] = sum / a[r * size + r];
  }
  return x;
}
