import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AK_TEMPLATES } from "../../shared/tpm/ak/templates.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import { keyObjectToPublicFields } from "../../shared/tpm/verifier/public-key.js";
import { resolveAgentId } from "./agent-id.js";

const dir = mkdtempSync(join(tmpdir(), "agent-id-"));

describe("agent ids", () => {
  it("hash_ek is the SHA-256 of the public key's SPKI PEM text, as openssl writes it", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const fields = keyObjectToPublicFields(publicKey);
    const pub = { ...AK_TEMPLATES.rsa, unique: fields.unique } as TpmtPublic;
    const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(pem.endsWith("-----END PUBLIC KEY-----\n")).toBe(true);
    expect(resolveAgentId("hash_ek", pub)).toBe(createHash("sha256").update(pem).digest("hex"));
  });

  it("devicetree trims the property's trailing NULs; dmi trims the newline", () => {
    const devicetree = join(dir, "serial-number");
    const dmi = join(dir, "product_uuid");
    writeFileSync(devicetree, "10000000abcdef01\0");
    writeFileSync(dmi, "4C4C4544-0042-3110-8052-B3C04F4E3732\n");
    const sources = { devicetree, dmi };
    expect(resolveAgentId("devicetree", undefined, sources)).toBe("10000000abcdef01");
    expect(resolveAgentId("dmi", undefined, sources)).toBe("4C4C4544-0042-3110-8052-B3C04F4E3732");
  });

  it("says which board file is missing, and refuses ids the registrar would refuse", () => {
    expect(() => resolveAgentId("dmi", undefined, { dmi: join(dir, "none"), devicetree: "" })).toThrow(
      /agent id "dmi": cannot read .*none/,
    );
    expect(() => resolveAgentId("has space")).toThrow(/is not valid/);
    expect(resolveAgentId("d432fbb3-d2f1-4a97-9ef7-75bd81c00000")).toBe(
      "d432fbb3-d2f1-4a97-9ef7-75bd81c00000",
    );
  });
});
