import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  authTag,
  authTagDigest,
  authTagMatches,
  CHALLENGE_LENGTH,
  newChallenge,
  normalizeAuthTag,
} from "./auth-tag.js";

// Computed with Python's hmac (as keylime's crypto.do_hmac) and with
//   echo -n "$ID" | openssl dgst -sha384 -hmac "$(echo -n "$CHALLENGE" | base64 -w0)"
const CHALLENGE = "abcdefghijklmnopqrstuvwxyzABCDEF";
const AGENT_ID = "d432fbb3-d2f1-4a97-9ef7-75bd81c00000";
const EXPECTED =
  "bd6e50f05cbb6d705c315e3d096540879eaf8ee687b09c0a5295851331688f053e7ce7682173f6433bd4dc92bc3e11cf";

describe("auth_tag", () => {
  it("is keylime's HMAC-SHA384 keyed with the base64 text of the challenge, over the agent id", () => {
    expect(authTag(CHALLENGE, AGENT_ID)).toBe(EXPECTED);
  });

  it("is stored as the SHA-256 of its lowercase hex text", () => {
    expect(Buffer.from(authTagDigest(EXPECTED)).toString("hex")).toBe(
      createHash("sha256").update(EXPECTED).digest("hex"),
    );
  });

  it("matches only the expected tag", () => {
    const digest = authTagDigest(EXPECTED);
    expect(authTagMatches(digest, EXPECTED)).toBe(true);
    expect(authTagMatches(digest, `${EXPECTED.slice(0, -1)}0`)).toBe(false);
    expect(authTagMatches(digest, authTag(CHALLENGE, "another-agent"))).toBe(false);
  });

  it("accepts 96 hex digits in either case, and nothing else", () => {
    expect(normalizeAuthTag(EXPECTED.toUpperCase())).toBe(EXPECTED);
    expect(normalizeAuthTag(EXPECTED.slice(2))).toBeUndefined();
    expect(normalizeAuthTag(`${EXPECTED.slice(1)}g`)).toBeUndefined();
    expect(normalizeAuthTag("")).toBeUndefined();
  });
});

describe("challenges", () => {
  it("are 32 characters of [A-Za-z0-9], different every time, using the whole alphabet", () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const c = newChallenge();
      expect(c).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(c).toHaveLength(CHALLENGE_LENGTH);
      seen.add(c);
      for (const ch of c) chars.add(ch);
    }
    expect(seen.size).toBe(200);
    expect(chars.size).toBe(62);
  });
});
