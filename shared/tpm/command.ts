// A TPM command as data (Part 3 style): its code, its handles (marked when they need
// authorization), its parameters and its response, in specification order. `marshalCommand`
// and `unmarshalResponse` are the only code that lays out the command and response frames.
import type { Codec } from "./codec/codec.js";
import { Reader, TpmDecodeError, Writer } from "./codec/codec.js";
import type { StructValue } from "./codec/primitives.js";
import { struct } from "./codec/primitives.js";
import { TPM_ST } from "./constants.js";
import { TpmResponseError } from "./rc.js";
import { TPMS_AUTH_COMMAND, TPMS_AUTH_RESPONSE } from "./structures/session.js";
import type { Handle } from "./types.js";

// biome-ignore lint/suspicious/noExplicitAny: parameter maps are heterogeneous
type Fields = Record<string, Codec<any>>;

/** A handle slot; `auth: true` means the command needs an authorization session for it. */
export interface HandleSlot {
  readonly auth: boolean;
}
export const handle = (): HandleSlot => ({ auth: false });
export const authHandle = (): HandleSlot => ({ auth: true });

export interface CommandSpec<
  H extends Record<string, HandleSlot>,
  P extends Fields,
  RH extends readonly string[],
  R extends Fields,
> {
  /** "TPM2_ReadPublic" */
  readonly name: string;
  /** "Part 3 §12.4" */
  readonly spec: string;
  readonly code: number;
  readonly handles: H;
  readonly params: P;
  readonly responseHandles: RH;
  readonly response: R;
}

export interface Command<
  H extends Record<string, HandleSlot> = Record<string, HandleSlot>,
  P extends Fields = Fields,
  RH extends readonly string[] = readonly string[],
  R extends Fields = Fields,
> extends CommandSpec<H, P, RH, R> {
  readonly paramCodec: Codec<StructValue<P>>;
  readonly responseCodec: Codec<StructValue<R>>;
  readonly authCount: number;
}

export function command<
  const H extends Record<string, HandleSlot>,
  P extends Fields,
  const RH extends readonly string[],
  R extends Fields,
>(spec: CommandSpec<H, P, RH, R>): Command<H, P, RH, R> {
  return {
    ...spec,
    paramCodec: struct(`${spec.name} parameters`, spec.params),
    responseCodec: struct(`${spec.name} response`, spec.response),
    authCount: Object.values(spec.handles).filter((h) => h.auth).length,
  };
}

/** What a caller passes: one Handle per handle slot, plus the parameters. */
export type CommandInput<C> =
  C extends Command<infer H, infer P, infer _RH, infer _R>
    ? { [K in keyof H]: Handle } & StructValue<P>
    : never;

/** What a command returns: its response handles and response parameters. */
export type CommandOutput<C> =
  C extends Command<infer _H, infer _P, infer RH, infer R>
    ? { [K in RH[number]]: Handle } & StructValue<R>
    : never;

/** One entry of the command's authorization area (TPMS_AUTH_COMMAND). */
export interface AuthEntry {
  readonly sessionHandle: number;
  readonly nonce: Uint8Array;
  readonly sessionAttributes: number;
  readonly hmac: Uint8Array;
}

/** Part 1 §18.2: a command frame is tag, size, code, handles, [authorization area], parameters. */
export function marshalCommand<C extends Command>(
  cmd: C,
  input: CommandInput<C>,
  auths: readonly AuthEntry[],
): Uint8Array {
  if (auths.length !== cmd.authCount) {
    throw new TypeError(`${cmd.name} needs ${cmd.authCount} authorization(s), got ${auths.length}`);
  }
  const w = new Writer();
  w.within(cmd.name, () => {
    w.u16(cmd.authCount > 0 ? TPM_ST.SESSIONS : TPM_ST.NO_SESSIONS);
    w.u32(0); // size, patched below
    w.u32(cmd.code);
    for (const key of Object.keys(cmd.handles)) {
      w.within(key, () => w.u32((input as Record<string, number>)[key] as number));
    }
    if (cmd.authCount > 0) {
      const area = new Writer();
      for (const a of auths) TPMS_AUTH_COMMAND.encode(area, a);
      const bytes = area.finish();
      w.u32(bytes.length);
      w.bytes(bytes);
    }
    cmd.paramCodec.encode(w, input as never);
  });
  const frame = w.finish();
  new DataView(frame.buffer).setUint32(2, frame.length);
  return frame;
}

/** Part 1 §18.3: a response frame is tag, size, rc, handles, [parameterSize], parameters, [auth area]. */
export function unmarshalResponse<C extends Command>(cmd: C, frame: Uint8Array): CommandOutput<C> {
  const r = new Reader(frame);
  return r.within(`${cmd.name} response`, () => {
    const tag = r.u16();
    const size = r.u32();
    const rc = r.u32();
    if (size !== frame.length) r.fail(`header says ${size} bytes but ${frame.length} arrived`);
    if (rc !== 0) throw new TpmResponseError(cmd.name, rc);
    if (tag !== TPM_ST.SESSIONS && tag !== TPM_ST.NO_SESSIONS) r.fail(`unexpected tag 0x${tag.toString(16)}`);
    if ((tag === TPM_ST.SESSIONS) !== cmd.authCount > 0) {
      r.fail(`tag 0x${tag.toString(16)} does not match a command sent with ${cmd.authCount} session(s)`);
    }
    const out: Record<string, unknown> = {};
    for (const key of cmd.responseHandles) out[key] = r.within(key, () => r.u32());
    let params: Reader = r;
    if (tag === TPM_ST.SESSIONS) {
      const parameterSize = r.u32();
      params = r.sub(parameterSize);
    }
    Object.assign(out, cmd.responseCodec.decode(params));
    if (tag === TPM_ST.SESSIONS) {
      if (params.remaining !== 0) params.fail(`${params.remaining} byte(s) left over after the parameters`);
      for (let i = 0; i < cmd.authCount; i++) r.within(`auth[${i}]`, () => TPMS_AUTH_RESPONSE.decode(r));
    }
    if (r.remaining !== 0) r.fail(`${r.remaining} unexpected trailing byte(s)`);
    return out as CommandOutput<C>;
  });
}

/** Reads the response code of a frame without decoding the rest (for transports and tests). */
export function responseCode(frame: Uint8Array): number {
  if (frame.length < 10)
    throw new TpmDecodeError("response", `only ${frame.length} bytes, a header needs 10`);
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(6);
}
