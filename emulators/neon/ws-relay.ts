/**
 * The WebSocket-to-TCP relay that `Pool`, `Client` and drizzle `neon-serverless` talk through: raw
 * Postgres protocol bytes in binary frames, to the `?address=host:port` target (like neondatabase's
 * wsproxy, on `/v2` and `/v1`).
 */
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { FaultController } from "../shared/faults";
import { parseRelayAddress, TargetError, type TargetPolicy } from "./connection-target";

/** URL paths the relay accepts upgrades on. */
export const RELAY_PATHS: readonly string[] = ["/v2", "/v1"];

/** A relay bound to one HTTP server's `upgrade` events. */
export type WsRelay = {
  /** Handles an `upgrade` event; returns false when the path is not a relay path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every open WebSocket and TCP connection. */
  close(): void;
};

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
      `content-length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** Pipes one accepted WebSocket to a new TCP connection. */
function bridge(ws: WebSocket, target: { host: string; port: number }, tcps: Set<Socket>): void {
  // The StartupMessage follows the upgrade at once, before TCP is up: keep it until connected.
  const early: Buffer[] = [];
  let connected = false;
  const tcp = connect({ host: target.host, port: target.port });
  tcps.add(tcp);
  tcp.setNoDelay(true);
  tcp.on("connect", () => {
    connected = true;
    for (const chunk of early.splice(0)) {
      tcp.write(chunk);
    }
  });
  ws.on("message", (data) => {
    const chunk = toBuffer(data);
    if (connected) {
      tcp.write(chunk);
    } else {
      early.push(chunk);
    }
  });
  tcp.on("data", (chunk) => {
    if (ws.readyState === ws.OPEN) {
      ws.send(chunk, { binary: true });
    }
  });
  tcp.on("error", () => {
    // 'close' follows every 'error'; the WebSocket is closed there.
  });
  tcp.on("close", (hadError) => {
    tcps.delete(tcp);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      ws.close(hadError && !connected ? 1011 : 1000, hadError ? "upstream error" : "");
    }
  });
  ws.on("close", () => tcp.end());
  ws.on("error", () => tcp.destroy());
}

/** Creates the relay; `faults` delays, refuses, holds or fails upgrades (no SQL text is known). */
export function createWsRelay(policy: TargetPolicy, faults: FaultController): WsRelay {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const tcps = new Set<Socket>();

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) {
    await faults.delay();
    // Only modes that make sense before any SQL is seen apply, and only with an empty `match`.
    const mode = ["refuse", "hang", "http500"].includes(faults.settings.mode)
      ? faults.modeFor([])
      : "none";
    if (mode === "refuse") {
      socket.destroy();
      return;
    }
    if (mode === "hang") {
      const gone = new AbortController();
      socket.once("close", () => gone.abort());
      await faults.hangUntilReleased(gone.signal);
    }
    if (mode === "http500") {
      rejectUpgrade(socket, 500, "injected fault: HTTP 500");
      return;
    }
    if (socket.destroyed) {
      return;
    }
    let target: { host: string; port: number };
    try {
      target = parseRelayAddress(url.searchParams.get("address"), policy);
    } catch (err: unknown) {
      rejectUpgrade(socket, err instanceof TargetError ? 403 : 400, String(err));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, target, tcps));
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? "/", "http://relay.local");
      if (!RELAY_PATHS.includes(url.pathname)) {
        return false;
      }
      socket.on("error", () => {});
      void upgrade(req, socket, head, url);
      return true;
    },
    close() {
      for (const ws of wss.clients) {
        ws.terminate();
      }
      for (const tcp of tcps) {
        tcp.destroy();
      }
      wss.close();
    },
  };
}
