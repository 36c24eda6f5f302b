// Free loopback port pairs for swtpm (data port P, control port P+1, as the swtpm TCTI expects).
//
// "Free" can only be a guess: another vitest worker (a different process) may take the port
// between this check and swtpm's bind. Ports are drawn at random from a wide range so that
// collisions are rare, and swtpm.ts retries with a new pair when the bind fails anyway.
import { createServer } from "node:net";

// Below the Linux ephemeral range (32768-60999), so outgoing connections do not take them.
const LOW = 10_000;
const HIGH = 32_000;

function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A random even port P such that P and P+1 are both free on `host` right now. */
export async function pickPortPair(host = "127.0.0.1", attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = LOW + 2 * Math.floor((Math.random() * (HIGH - LOW)) / 2);
    if ((await isPortFree(port, host)) && (await isPortFree(port + 1, host))) return port;
  }
  throw new Error(`no free loopback port pair found in ${LOW}-${HIGH} after ${attempts} tries`);
}

/** Whether swtpm's log says a port was taken (swtpm 0.7: "Could not open TCP socket: Address already in use"). */
export function isBindFailure(log: string): boolean {
  return /address already in use/i.test(log);
}
