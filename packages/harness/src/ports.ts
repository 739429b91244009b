import { createServer } from "node:net";

/**
 * Ports handed out by this process: `freePort` never returns one twice, so two nodes that have not bound their
 * ports yet cannot be given the same one.
 */
const handedOut = new Set<number>();

/**
 * Below Linux's ephemeral range (`ip_local_port_range`, 32768-60999 by default): the source ports of outgoing
 * connections come from that range, so a port taken from below it stays free while its node is down (a
 * restarted node gets its port back).
 */
const LOW = 15_000;
const HIGH = 32_000;

/** Whether `127.0.0.1:port` can be bound now. */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.unref();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on 127.0.0.1 right now and not handed out before by this process (it is released before
 * returning). Ports come from 15000-31999, below the OS's ephemeral range, so another process's outgoing
 * connection does not take it between now and the bind.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if (await portFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  // A crowded range: let the OS pick one.
  for (;;) {
    const port = await osPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
