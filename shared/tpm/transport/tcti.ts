// TCTI strings, spelled as tpm2-tools spells them, so an operator can use one string for both:
//   device                         → /dev/tpmrm0, falling back to /dev/tpm0
//   device:/dev/tpm0               → exactly that device
//   swtpm:host=127.0.0.1,port=2321 → swtpm's socket interface (host and port are optional)
import type { Tcti } from "../types.js";
import { DeviceTransport } from "./device.js";
import { SwtpmTransport } from "./swtpm.js";
import type { Transport, TransportOptions } from "./transport.js";

export type TctiConfig =
  | { kind: "device"; paths: readonly string[] }
  | { kind: "swtpm"; host: string; port: number };

export const DEFAULT_TCTI = "device:/dev/tpmrm0" as Tcti;

/** Thrown for a TCTI string we cannot use; the message shows the accepted forms. */
export class TctiError extends Error {
  override readonly name = "TctiError";
  readonly code = "TCTI_INVALID";
}

const FORMS = 'use "device[:/dev/tpmrm0]" or "swtpm:host=127.0.0.1,port=2321"';

export function parseTcti(text: string): TctiConfig {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const conf = colon < 0 ? "" : text.slice(colon + 1);
  if (kind === "device") {
    if (conf === "") return { kind, paths: ["/dev/tpmrm0", "/dev/tpm0"] };
    if (!conf.startsWith("/"))
      throw new TctiError(`TCTI "${text}": the device path must be absolute; ${FORMS}`);
    return { kind, paths: [conf] };
  }
  if (kind === "swtpm") {
    let host = "127.0.0.1";
    let port = 2321;
    for (const part of conf === "" ? [] : conf.split(",")) {
      const eq = part.indexOf("=");
      const key = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? "" : part.slice(eq + 1);
      if (key === "host" && value !== "") host = value;
      else if (key === "port" && /^[0-9]{1,5}$/.test(value) && Number(value) > 0 && Number(value) < 65535) {
        port = Number(value);
      } else throw new TctiError(`TCTI "${text}": cannot use "${part}"; ${FORMS}`);
    }
    return { kind, host, port };
  }
  throw new TctiError(`TCTI "${text}": unknown kind "${kind}"; ${FORMS}`);
}

/** Opens the transport a TCTI string names. */
export async function openTransport(tcti: string, options: TransportOptions = {}): Promise<Transport> {
  const config = parseTcti(tcti);
  if (config.kind === "device") return DeviceTransport.open(config.paths, options);
  return new SwtpmTransport(config.host, config.port, options);
}
