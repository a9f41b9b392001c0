import assert from "node:assert/strict";
import { ConfigError, helpText, parseConfig, parseDevices } from "../config.ts";

Deno.test("config defaults match the documented ones", () => {
  const config = parseConfig([], {})!;
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 8000);
  assert.equal(config.kv, "data/gridfleet.kv");
  assert.equal(config.turbines, 10);
  assert.equal(config.engineers, 3);
  assert.equal(config.timeScale, 1);
  assert.equal(config.placement, "worker");
  assert.equal(config.apiToken, null);
  assert.equal(config.chaos, true);
});

Deno.test("environment variables apply and flags win over them", () => {
  const env = { PORT: "9000", GRIDFLEET_KV: "/tmp/x.kv", GRIDFLEET_API_TOKEN: "s3cret" };
  const fromEnv = parseConfig([], env)!;
  assert.equal(fromEnv.port, 9000);
  assert.equal(fromEnv.kv, "/tmp/x.kv");
  assert.equal(fromEnv.apiToken, "s3cret");
  assert.equal(parseConfig(["--port=9100"], env)!.port, 9100);
});

Deno.test("flags parse, --no-chaos disables fault injection, --help returns null", () => {
  const config = parseConfig([
    "--turbines",
    "7",
    "--placement",
    "pool",
    "--seed",
    "5",
    "--time-scale",
    "60",
    "--no-chaos",
    "--repair-seconds",
    "10-20",
  ], {})!;
  assert.deepEqual(
    [config.turbines, config.placement, config.seed, config.timeScale, config.chaos],
    [7, "pool", 5, 60, false],
  );
  assert.deepEqual(config.repairSeconds, [10, 20]);
  assert.equal(parseConfig(["--help"], {}), null);
  assert.match(helpText(), /--time-scale X/);
});

Deno.test("bad configuration names the flag and the value", () => {
  const cases: [string[], RegExp][] = [
    [["--port", "70000"], /--port .* got "70000"/],
    [["--turbines", "ten"], /--turbines .* got "ten"/],
    [["--placement", "cloud"], /--placement .* got "cloud"/],
    [["--time-scale", "-1"], /--time-scale .* got "-1"/],
    [["--travel-seconds", "9-3"], /--travel-seconds .* got "9-3"/],
    [["--bogus"], /Unknown option "--bogus"/],
    [["--port"], /--port needs a value/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseConfig(args, {}),
      (e: Error) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

Deno.test("devices: pc1, pc2 and raspberry by default; lists, counts and none", () => {
  const config = parseConfig([], {})!;
  assert.deepEqual(config.devices, [
    { id: "pc1", profile: "pc" },
    { id: "pc2", profile: "pc" },
    { id: "raspberry", profile: "raspberry" },
  ]);
  assert.equal(config.modelPath, "data/models/device-stress.json");
  assert.equal(config.alertThreshold, 0.7);
  assert.deepEqual(parseDevices("lab:raspberry, desk:pc,rpi-3"), [
    { id: "lab", profile: "raspberry" },
    { id: "desk", profile: "pc" },
    { id: "rpi-3", profile: "raspberry" },
  ]);
  assert.deepEqual(parseDevices("3").map((d) => d.id), ["pc1", "pc2", "raspberry1"]);
  assert.deepEqual(parseDevices("none"), []);
  assert.deepEqual(parseDevices("0"), []);
  assert.equal(parseConfig(["--alert-threshold", "0.85"], {})!.alertThreshold, 0.85);
  assert.equal(parseConfig(["--model", "m.json"], {})!.modelPath, "m.json");
});

Deno.test("bad device flags are one line naming the flag and the value", () => {
  const cases: [string[], RegExp][] = [
    [["--devices", "lab"], /--devices: "lab" needs a profile, :pc or :raspberry/],
    [["--devices", "lab:toaster"], /--devices: "lab:toaster" needs a profile.*got "toaster"/],
    [["--devices", "a/b:pc"], /--devices: "a\/b:pc" is not a device id/],
    [["--devices", "pc1,pc1"], /--devices: "pc1" is listed twice/],
    [["--devices", ""], /--devices: "" is not a device id/],
    [["--alert-threshold", "1.5"], /--alert-threshold must be a probability.*got "1.5"/],
    [["--alert-threshold", "0"], /--alert-threshold must be a probability.*got "0"/],
    [["--alert-threshold", "1"], /--alert-threshold must be a probability from 0.01 to 0.99/],
    [["--alert-threshold", "high"], /--alert-threshold.*got "high"/],
    [["--model", ""], /--model must be a file path/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseConfig(args, {}), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
});
