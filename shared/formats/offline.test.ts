import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeCbor } from "./cbor.js";
import { signSign1 } from "./cose-sign1.js";
import { rawPublicKey, sodiumEd25519KeyPair } from "./keys.js";
import {
  decodeOfflineRequest,
  decodeOfflineResponse,
  encodeOfflineChallengePayload,
  encodeOfflineRequest,
  encodeOfflineResponse,
  type OfflineChallenge,
  type OfflineRequest,
  verifyOfflineChallenge,
} from "./offline.js";

const request: OfflineRequest = {
  v: 1,
  agent_id: "d432fbb3-d2f1-4a97-9ef7-75bd81c00000",
  ek_tpm: randomBytes(314),
  ekcert: randomBytes(900),
  aik_tpm: randomBytes(280),
  created_at: 1_790_000_000,
};
const challenge: OfflineChallenge = {
  v: 1,
  agent_id: request.agent_id,
  blob: randomBytes(400),
  session: "f3b9c2a1e0d84b7a9c6e5d4c3b2a1908",
  expires_at: 1_790_604_800,
};

async function signed(c: OfflineChallenge) {
  const registrar = generateKeyPairSync("ed25519");
  const bytes = await signSign1(encodeOfflineChallengePayload(c), sodiumEd25519KeyPair(registrar.privateKey));
  return { bytes, key: rawPublicKey(registrar.publicKey) };
}

describe("offline files", () => {
  it("round-trip a request and a response byte for byte", () => {
    const bytes = encodeOfflineRequest(request);
    expect(decodeOfflineRequest(bytes)).toEqual({
      ...request,
      ek_tpm: new Uint8Array(request.ek_tpm),
      ekcert: new Uint8Array(request.ekcert!),
      aik_tpm: new Uint8Array(request.aik_tpm),
    });
    expect(encodeOfflineRequest(decodeOfflineRequest(bytes))).toEqual(bytes);
    const response = {
      v: 1,
      agent_id: request.agent_id,
      session: challenge.session,
      auth_tag: "ab".repeat(48),
    };
    expect(decodeOfflineResponse(encodeOfflineResponse(response))).toEqual(response);
    expect(decodeOfflineRequest(encodeOfflineRequest({ ...request, ekcert: null })).ekcert).toBeNull();
  });

  it("verify a challenge with the registrar's key, and refuse one signed by another key", async () => {
    const { bytes, key } = await signed(challenge);
    expect(verifyOfflineChallenge(bytes, () => key)).toEqual({
      ...challenge,
      blob: new Uint8Array(challenge.blob),
    });
    const other = rawPublicKey(generateKeyPairSync("ed25519").publicKey);
    expect(() => verifyOfflineChallenge(bytes, () => other)).toThrow(/signature/i);
    expect(() => verifyOfflineChallenge(bytes, () => undefined)).toThrow();
    const tampered = new Uint8Array(bytes);
    tampered[tampered.length - 70]! ^= 1;
    expect(() => verifyOfflineChallenge(tampered, () => key)).toThrow();
  });

  it("refuse unknown versions, missing or extra fields, bad auth tags and garbage, naming the field", () => {
    const wire = { ...request } as Record<string, unknown>;
    expect(() => decodeOfflineRequest(encodeCbor({ ...wire, v: 2 } as never))).toThrow(/format version v=2/);
    const { aik_tpm: _, ...missing } = wire;
    expect(() => decodeOfflineRequest(encodeCbor(missing as never))).toThrow(/no field "aik_tpm"/);
    expect(() => decodeOfflineRequest(encodeCbor({ ...wire, extra: 1 } as never))).toThrow(
      /unknown field "extra"/,
    );
    expect(() => decodeOfflineRequest(encodeCbor({ ...wire, ek_tpm: "AAAA" } as never))).toThrow(
      /ek_tpm is not a byte string/,
    );
    expect(() => encodeOfflineResponse({ v: 1, agent_id: "a", session: "s", auth_tag: "XYZ" })).toThrow(
      /auth_tag/,
    );
    for (const garbage of [new Uint8Array(0), Uint8Array.of(0xff), randomBytes(64)])
      expect(() => decodeOfflineRequest(garbage)).toThrow(/offline request/);
  });
});
