import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { resolveConfig } from "./config.js";

const dir = mkdtempSync(join(tmpdir(), "agent-config-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const resolve = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}, configFile?: string) =>
  resolveConfig({ flags, env, configFile, command: "register" });

describe("agent settings", () => {
  it("lets a flag win over the environment, and the environment over the config file", () => {
    const config = file(
      "a.json",
      JSON.stringify({ tcti: "swtpm:port=1000", ek_alg: "ecc", max_wait: "1m", state_dir: "/f" }),
    );
    const c = resolve(
      { tcti: "swtpm:port=3000" },
      { EDGE_AGENT_TCTI: "swtpm:port=2000", EDGE_AGENT_EK_ALG: "rsa" },
      config,
    );
    expect(c.tcti).toBe("swtpm:port=3000");
    expect(c.ekAlg).toBe("rsa");
    expect(c.maxWaitMs).toBe(60_000);
    expect(c.stateDir).toBe("/f");
  });

  it("uses the documented defaults", () => {
    const c = resolve({});
    expect(c).toMatchObject({
      tcti: "device",
      agentId: "hash_ek",
      ekAlg: "auto",
      maxWaitMs: 300_000,
      contactPort: 9002,
    });
    expect(c.endorsementAuth).toBeUndefined();
  });

  it("reads the endorsement auth from a file (one trailing newline dropped) or the environment, hex: for binary", () => {
    expect(
      Buffer.from(resolve({ "endorsement-auth-file": file("auth", "s3cret\n") }).endorsementAuth!).toString(),
    ).toBe("s3cret");
    expect(Buffer.from(resolve({}, { EDGE_AGENT_ENDORSEMENT_AUTH: "hex:00ff" }).endorsementAuth!)).toEqual(
      Buffer.from([0, 255]),
    );
  });

  it("refuses the endorsement auth itself in the config file, unknown keys, and bad values, naming the source", () => {
    expect(() => resolve({}, {}, file("b.json", '{"endorsement_auth":"x"}'))).toThrow(
      /may not hold the endorsement auth/,
    );
    expect(() => resolve({}, {}, file("c.json", '{"registrer":"x"}'))).toThrow(/unknown key "registrer"/);
    expect(() => resolve({ "ek-alg": "dsa" })).toThrow(/--ek-alg: "dsa" is not an EK algorithm/);
    expect(() => resolve({}, { EDGE_AGENT_MAX_WAIT: "soon" })).toThrow(ConfigError);
    expect(() => resolve({ registrar: "ftp://x" })).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => resolve({ tcti: "mssim" })).toThrow(/--tcti: .*unknown kind/);
    expect(() => resolve({}, { EDGE_AGENT_EK_HANDLE: "0x01c00002" })).toThrow(/not a persistent handle/);
  });
});
