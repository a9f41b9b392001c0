import assert from "node:assert/strict";
import { join } from "node:path";
import { createDeviceSim, setWorkload, stepDevice } from "../actors/device_physics.ts";
import type { DeviceReading, PcReading } from "../actors/device_readings.ts";
import { deriveSeed, Random } from "../actors/random.ts";
import {
  parseStressModel,
  predictStress,
  STRESS_FEATURES,
  STRESS_MODEL_FORMAT,
  type StressModel,
} from "../actors/stress_model.ts";
import { DeviceStore, type FeedbackSample } from "../store/device_store.ts";
import { pcReading } from "./device_fixtures.ts";
import { evaluateModel } from "../training/evaluate.ts";
import { labelHistory, trackHistory } from "../training/history.ts";
import { fitLogistic } from "../training/logistic.ts";
import { runTraining } from "../training/main.ts";
import { parseTrainingOptions, TrainingError } from "../training/options.ts";
import { fleetPlan, train } from "../training/train.ts";

Deno.test("training on a fixed seed reaches 0.8 precision and recall on held-out devices, alerting ahead", () => {
  // Half the devices held out, so the held-out set holds a few dozen stress onsets.
  const { model, report } = train({
    seed: 42,
    devices: 64,
    hours: 5,
    horizonMinutes: 5,
    threshold: 0.7,
    version: 1,
    heldOutShare: 0.5,
  }, []);
  const { readings, alerts } = report.heldOut;
  assert.equal(report.heldOutDevices, 32);
  assert.ok(alerts.onsets >= 20, `only ${alerts.onsets} onsets held out`);
  assert.ok(readings.precision! >= 0.8, `reading precision ${readings.precision}`);
  assert.ok(readings.recall! >= 0.8, `reading recall ${readings.recall}`);
  assert.ok(alerts.precision! >= 0.8, `alert precision ${alerts.precision}`);
  assert.ok(alerts.recall! >= 0.8, `alert recall ${alerts.recall}`);
  assert.ok(alerts.leadMinutes!.mean > 0, `mean lead ${alerts.leadMinutes!.mean}`);
  assert.ok(alerts.leadMinutes!.min >= 1, `min lead ${alerts.leadMinutes!.min}`);
  assert.deepEqual(Object.keys(report.heldOutByProfile).sort(), ["pc", "raspberry"]);
  assert.deepEqual(model.training.heldOut, report.heldOut);
});

Deno.test("the held-out devices are other devices than the training ones, of both profiles", () => {
  const plan = fleetPlan(40);
  const ids = plan.map((device) => device.deviceId);
  assert.equal(new Set(ids).size, 40);
  const heldOut = plan.filter((device) => device.heldOut);
  assert.equal(heldOut.length, 10);
  for (const part of [heldOut, plan.filter((device) => !device.heldOut)]) {
    assert.deepEqual([...new Set(part.map((device) => device.profile))].sort(), [
      "pc",
      "raspberry",
    ]);
  }
});

Deno.test("training writes a model that parses, with its settings and held-out numbers", () => {
  const trainedAt = new Date("2024-05-01T12:00:00Z");
  const { model, report } = train({
    seed: 3,
    devices: 12,
    hours: 2,
    horizonMinutes: 4,
    threshold: 0.6,
    version: 7,
    trainedAt,
  }, []);
  const parsed = parseStressModel(JSON.parse(JSON.stringify(model)));
  assert.equal(parsed.format, STRESS_MODEL_FORMAT);
  assert.deepEqual(
    [
      parsed.version,
      parsed.trainedAt,
      parsed.horizonMinutes,
      parsed.threshold,
      parsed.training.seed,
    ],
    [7, "2024-05-01T12:00:00.000Z", 4, 0.6, 3],
  );
  assert.equal(report.trainingDevices + report.heldOutDevices, 12);
  assert.ok(report.examples.pc.readings > 0 && report.examples.raspberry.readings > 0);
});

Deno.test("training is deterministic for a seed", () => {
  const options = {
    seed: 5,
    devices: 10,
    hours: 1.5,
    horizonMinutes: 5,
    threshold: 0.7,
    version: 1,
  };
  const trainedAt = new Date(0);
  const a = train({ ...options, trainedAt }, []).model;
  const b = train({ ...options, trainedAt }, []).model;
  assert.deepEqual(a.profiles, b.profiles);
});

/** A PC reading at second `t`. */
function pc(t: number, temperature: number): PcReading {
  return pcReading({
    timestamp: t,
    cpu_temp_c: temperature,
    cpu_load_percent: temperature > 70 ? 95 : 5,
    cpu_power_w: temperature > 70 ? 90 : 8,
    fan_cfm: 40,
  });
}

/** Temperatures of consecutive readings from `from` to `to`. */
function ramp(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + (to - from) * (i + 1) / count);
}

/** A model whose probability depends on the headroom only: 0.7 exactly at 5 °C below the limit. */
function headroomModel(): StressModel {
  const part = {
    features: STRESS_FEATURES.map((feature) => feature.name),
    mean: STRESS_FEATURES.map(() => 0),
    std: STRESS_FEATURES.map(() => 1),
    weights: STRESS_FEATURES.map((feature) => feature.name === "headroom_c" ? -1 : 0),
    bias: 5 + Math.log(0.7 / 0.3),
  };
  return {
    format: STRESS_MODEL_FORMAT,
    version: 1,
    trainedAt: "2024-01-01T00:00:00.000Z",
    horizonMinutes: 5,
    threshold: 0.7,
    windowReadings: 1,
    profiles: { pc: part, raspberry: part },
    training: { seed: 0 },
  };
}

Deno.test("labels: an onset within the horizon makes a reading positive; stressed and final readings are excluded", () => {
  const temperatures = [...Array(60).fill(60), ...Array(20).fill(95), ...Array(80).fill(60)];
  const history = trackHistory(
    "pc1",
    "pc",
    temperatures.map((temperature, i) => pc(i * 5, temperature)),
  );
  assert.deepEqual(history.onsets, [71 * 5]);
  const labels = labelHistory(history, 5);
  const onset = 71;
  // Readings 11..70 lie within five minutes before the onset at reading 71.
  assert.deepEqual(labels.slice(0, 11), Array(11).fill("negative"));
  assert.deepEqual(labels.slice(11, onset), Array(onset - 11).fill("positive"));
  assert.equal(labels[onset], "excluded");
  // Stressed from the onset until a minute under the limit (readings 71-90), and the last five minutes.
  assert.equal(labels.filter((label) => label === "excluded").length, 20 + 60);
  assert.equal(labels.at(-61), "negative");
  assert.equal(labels.at(-60), "excluded");
});

Deno.test("evaluation counts alerts per episode, onsets caught and lead times", () => {
  const temperatures = [
    ...Array(120).fill(60),
    // Heats up: the alert fires at the first reading at 85 °C or more.
    ...ramp(60, 95, 60),
    ...Array(24).fill(95),
    ...Array(120).fill(60),
    // A false alarm: it peaks at 86 °C and cools down without stress.
    ...ramp(60, 86, 30),
    ...ramp(86, 60, 30),
    ...Array(120).fill(60),
  ];
  const history = trackHistory(
    "pc1",
    "pc",
    temperatures.map((temperature, i) => pc(i * 5, temperature)),
  );
  const { overall } = evaluateModel(headroomModel(), [history], { threshold: 0.7 });
  // 60 + 35 * n / 60 reaches 85 at n = 43 (reading 162), 90 at n = 52 (reading 171): onset at 182.
  assert.deepEqual(history.onsets, [182 * 5]);
  assert.equal(overall.alerts.alerts, 2);
  assert.equal(overall.alerts.trueAlerts, 1);
  assert.equal(overall.alerts.onsets, 1);
  assert.equal(overall.alerts.caughtOnsets, 1);
  assert.equal(overall.alerts.precision, 0.5);
  assert.equal(overall.alerts.recall, 1);
  const lead = overall.alerts.leadMinutes!;
  assert.equal(lead.mean, (182 - 162) * 5 / 60);
  assert.equal(overall.alerts.withinHorizon.trueAlerts, 1);
});

Deno.test("evaluation does not count an alert less than a minute ahead as catching the onset", () => {
  // A jump straight over the limit: the alert and the limit come together.
  const temperatures = [...Array(60).fill(60), ...Array(30).fill(95), ...Array(80).fill(60)];
  const history = trackHistory(
    "pc1",
    "pc",
    temperatures.map((temperature, i) => pc(i * 5, temperature)),
  );
  const { overall } = evaluateModel(headroomModel(), [history], { threshold: 0.7 });
  assert.equal(overall.alerts.trueAlerts, 1);
  assert.equal(overall.alerts.caughtOnsets, 0);
  assert.equal(overall.alerts.recall, 0);
  assert.equal(overall.alerts.leadMinutes, null);
});

/** Windows of a device forced heavy, as it nears its limit: what an alert would have seen. */
function hotWindows(count: number): DeviceReading[][] {
  const windows: DeviceReading[][] = [];
  for (let seed = 0; seed < count; seed++) {
    const random = new Random(deriveSeed(seed, "feedback"));
    let sim = setWorkload(createDeviceSim("pc", random, 0), "heavy", null);
    const readings: DeviceReading[] = [];
    while (readings.length < 12 * 30) {
      const step = stepDevice(sim, random, `fb${seed}`, 1_704_067_200 + readings.length * 5);
      sim = step.sim;
      readings.push(step.reading);
      if (step.reading.cpu_temp_c >= 84) break;
    }
    windows.push(readings.slice(-60));
  }
  return windows;
}

Deno.test("training learns from feedback: rejected alerts lower the forecast for windows like theirs", () => {
  const options = { seed: 8, devices: 16, hours: 3, horizonMinutes: 5, threshold: 0.7, version: 1 };
  const windows = hotWindows(30);
  const feedback: FeedbackSample[] = windows.map((window, i) => ({
    alertId: `a${i}`,
    deviceId: `fb${i}`,
    profile: "pc",
    correct: false,
    window,
  }));
  feedback.push({ alertId: "empty", deviceId: "x", profile: "pc", correct: true, window: [] });
  const plain = train(options, []).model;
  const taught = train(options, feedback);
  assert.deepEqual(taught.report.feedback, { used: 30, skipped: 1 });
  assert.equal(taught.report.examples.pc.feedbackRejected, 30);
  assert.equal(taught.report.examples.raspberry.feedbackRejected, 0);
  const mean = (model: StressModel) =>
    windows.reduce((sum, window) => sum + predictStress(model, window), 0) / windows.length;
  assert.ok(mean(taught.model) < mean(plain) - 0.1, `${mean(taught.model)} vs ${mean(plain)}`);
});

Deno.test("fitLogistic separates a separable set and weighs examples", () => {
  const features = new Float64Array([0, 1, 2, 3, 4, 5]);
  const labels = new Uint8Array([0, 0, 0, 1, 1, 1]);
  const even = fitLogistic({
    features,
    dimensions: 1,
    labels,
    weights: new Float64Array(6).fill(1),
  }, {
    l2: 0.1,
  });
  assert.ok(even.weights[0] > 0);
  const p = (fit: typeof even, x: number) =>
    1 / (1 + Math.exp(-(fit.bias + fit.weights[0] * (x - fit.mean[0]) / fit.std[0])));
  assert.ok(p(even, 0) < 0.1 && p(even, 5) > 0.9);
  // Weighing the positives up moves the boundary towards the negatives.
  const weighted = fitLogistic({
    features,
    dimensions: 1,
    labels,
    weights: new Float64Array([1, 1, 1, 10, 10, 10]),
  }, { l2: 0.1 });
  assert.ok(p(weighted, 2.5) > p(even, 2.5));
  assert.throws(
    () => fitLogistic({ features, dimensions: 2, labels, weights: new Float64Array(6) }, { l2: 1 }),
    /sizes disagree/,
  );
});

Deno.test("parseTrainingOptions applies the defaults and reads every flag", () => {
  assert.deepEqual(parseTrainingOptions([]), {
    seed: 42,
    devices: 100,
    hours: 6,
    horizonMinutes: 5,
    threshold: 0.7,
    out: "data/models/device-stress.json",
    kvPath: undefined,
    samplesDir: undefined,
    help: false,
  });
  const options = parseTrainingOptions([
    "--seed=7",
    "--devices",
    "20",
    "--hours",
    "2.5",
    "--horizon",
    "10",
    "--threshold",
    "0.6",
    "--out",
    "m.json",
    "--kv",
    "a.kv",
    "--samples",
    "dir",
  ]);
  assert.deepEqual(
    [options.seed, options.devices, options.hours, options.horizonMinutes, options.threshold],
    [7, 20, 2.5, 10, 0.6],
  );
  assert.deepEqual([options.out, options.kvPath, options.samplesDir], ["m.json", "a.kv", "dir"]);
});

Deno.test("parseTrainingOptions names the flag and the value it refuses", () => {
  const cases: [string[], string][] = [
    [["--seed=-1"], '--seed must be a whole number from 0 to 4294967295, not "-1"'],
    [["--devices", "ten"], '--devices must be a whole number from 8 to 10000, not "ten"'],
    [["--devices", "2"], '--devices must be a whole number from 8 to 10000, not "2"'],
    [["--hours", "0"], '--hours must be a number from 0.5 to 1000, not "0"'],
    [["--horizon", "x"], '--horizon must be a number from 1 to 60, not "x"'],
    [["--threshold", "1.5"], '--threshold must be a number from 0.01 to 0.99, not "1.5"'],
    [["--out", ""], '--out needs a path, not ""'],
    [["--hours", "1", "--horizon", "20"], '--hours "1" is too short for --horizon "20"'],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseTrainingOptions(args), (error: Error) => {
      assert.ok(error instanceof TrainingError);
      assert.equal(error.exitCode, 2);
      assert.ok(error.message.startsWith(message), error.message);
      return true;
    });
  }
  assert.throws(() => parseTrainingOptions(["--epochs", "3"]), /Unknown option '--epochs'/);
});

/** Runs the command, collecting its output. */
async function command(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runTraining(args, {
    stdout: (text) => out += text + "\n",
    stderr: (text) => err += text + "\n",
  });
  return { code, out, err };
}

Deno.test("the command prints its help and refuses bad flags with one line and exit code 2", async () => {
  const help = await command(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: deno task train/);
  const bad = await command(["--threshold", "high"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'train: --threshold must be a number from 0.01 to 0.99, not "high"\n');
  const missing = await command(["--kv", "/nonexistent/feedback.kv"]);
  assert.equal(missing.code, 2);
  assert.equal(missing.err, 'train: --kv "/nonexistent/feedback.kv" does not exist\n');
});

Deno.test("the command writes the model with the next version and uses feedback from KV", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "models", "stress.json");
    const small = ["--devices", "8", "--hours", "1", "--seed", "4", "--out", out];
    const first = await command(small);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /Held out \(2 devices\)/);
    assert.equal(parseStressModel(JSON.parse(await Deno.readTextFile(out))).version, 1);

    const kvPath = join(dir, "feedback.kv");
    const kv = await Deno.openKv(kvPath);
    const store = new DeviceStore(kv);
    const window = hotWindows(1)[0];
    const at = window.at(-1)!.timestamp;
    const alert = {
      id: `fb0-${at}`,
      device_id: "fb0",
      profile: "pc" as const,
      at,
      probability: 0.8,
      threshold: 0.7,
      horizon_minutes: 5,
      model: 1,
      cpu_temp_c: window.at(-1)!.cpu_temp_c,
    };
    await store.commit({
      readings: window.map((reading) => ({
        reading,
        probability: 0.5,
        status: "ok" as const,
        model: 1,
      })),
      alerts: [alert],
      devices: [],
    });
    await store.setFeedback("fb0", alert.id, {
      correct: false,
      comment: null,
      at: new Date().toISOString(),
    });
    kv.close();

    const second = await command([...small, "--kv", kvPath]);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /Feedback samples used: 1/);
    assert.match(
      second.out,
      /pc: [\d,]+ readings, [\d,]+ positive; feedback 0 confirmed, 1 rejected/,
    );
    assert.equal(parseStressModel(JSON.parse(await Deno.readTextFile(out))).version, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the command refuses to overwrite a model file it cannot read a version from", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "model.json");
    await Deno.writeTextFile(out, "not json");
    const result = await command(["--devices", "8", "--hours", "1", "--out", out]);
    assert.equal(result.code, 1);
    assert.match(result.err, /has no version number to follow/);
    assert.equal(await Deno.readTextFile(out), "not json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run too large to hold in memory is refused up front, naming both flags", () => {
  assert.throws(
    () => parseTrainingOptions(["--hours", "1000"]),
    (error: Error) =>
      error instanceof TrainingError &&
      /--devices "100" times --hours "1000" is 100000 device-hours/.test(error.message),
  );
  assert.equal(parseTrainingOptions(["--devices", "50", "--hours", "200"]).hours, 200);
});
