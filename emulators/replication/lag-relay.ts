/**
 * A TCP relay that delays one direction of every connection by a switchable number of ms: put it
 * on a Redis replication link (the replica connects to the relay, the relay to the primary) and
 * the replica receives, and so applies, every write that much later. Real replication lag, not a
 * simulated one: the replica's own offsets, `INFO replication` and `WAIT` all see it.
 *
 * Only the target → client direction (primary → replica) is held. The client's bytes (the
 * replica's `REPLCONF ACK`s, its handshake) pass at once, so the knob is the replica's apply lag,
 * not a round-trip time. Bytes are never reordered: each chunk is released at
 * `max(arrival + lag, release of the chunk before it)`, and switching the lag recomputes the
 * release times of the chunks still held by that rule (lowering it releases them sooner).
 * @module
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** Options of {@link startLagRelay}. */
export type LagRelayOptions = {
  /** Where every accepted connection is relayed to. */
  target: { host: string; port: number };
  /** Initial lag of the target → client direction, in ms. @default 0 */
  lagMs?: number;
  /** Port to listen on. @default 0 (a free port) */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
};

/** A running relay. */
export type LagRelay = {
  /** The port clients connect to. */
  port: number;
  host: string;
  /** The lag in force, in ms. */
  readonly lagMs: number;
  /** Bytes received from the target and not yet delivered, over all connections. */
  readonly heldBytes: number;
  /** Connections accepted so far (a reconnecting replica counts again). */
  readonly connections: number;
  /**
   * Switches the lag for bytes already held and bytes still to come.
   * @throws RangeError unless `ms` is a finite number ≥ 0
   */
  setLag(ms: number): void;
  /** Stops listening and drops every relayed connection. */
  close(): Promise<void>;
};

/**
 * Held bytes per connection above which reading from the target pauses until delivery catches
 * up, so a long lag on a busy link costs bounded memory (TCP then pushes back on the primary).
 */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

/** Validates a lag value: a finite number of ms ≥ 0. */
export function checkLag(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`lag must be a finite number of ms >= 0, got ${ms}`);
  }
  return ms;
}

/** Starts the relay; resolves once it listens. */
export async function startLagRelay(options: LagRelayOptions): Promise<LagRelay> {
  let lagMs = checkLag(options.lagMs ?? 0);
  let connections = 0;
  const lines = new Set<DelayLine>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections += 1;
    const upstream = connect(options.target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.once("close", () => sockets.delete(socket));
    }
    const line = new DelayLine(upstream, client, () => lagMs);
    lines.add(line);
    // Client bytes go straight through; pipe() handles backpressure and the end of the stream.
    client.pipe(upstream);
    const drop = () => {
      lines.delete(line);
      line.stop();
      client.destroy();
      upstream.destroy();
    };
    client.once("error", drop);
    upstream.once("error", drop);
    client.once("close", drop);
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    host,
    get lagMs() {
      return lagMs;
    },
    get heldBytes() {
      let total = 0;
      for (const line of lines) {
        total += line.heldBytes;
      }
      return total;
    },
    get connections() {
      return connections;
    },
    setLag(ms) {
      lagMs = checkLag(ms);
      for (const line of lines) {
        line.reschedule();
      }
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const line of lines) {
        line.stop();
      }
      for (const socket of sockets) {
        socket.destroy();
      }
      await closed;
    },
  };
}

type Held = { chunk: Buffer; arrivedAt: number; releaseAt: number };

/** One delayed direction: reads `source`, writes each chunk to `sink` once its time has come. */
class DelayLine {
  readonly #source: Socket;
  readonly #sink: Socket;
  readonly #lag: () => number;
  readonly #queue: Held[] = [];
  #heldBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #sourceEnded = false;
  #stopped = false;
  #sinkBlocked = false;

  constructor(source: Socket, sink: Socket, lag: () => number) {
    this.#source = source;
    this.#sink = sink;
    this.#lag = lag;
    source.on("data", (chunk: Buffer) => this.#push(chunk));
    source.once("end", () => {
      this.#sourceEnded = true;
      this.#finishIfDrained();
    });
    sink.on("drain", () => {
      this.#sinkBlocked = false;
      this.#flush();
    });
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Re-derives every held chunk's release time from the lag now in force. */
  reschedule(): void {
    const lag = this.#lag();
    let previous = Number.NEGATIVE_INFINITY;
    for (const held of this.#queue) {
      held.releaseAt = Math.max(held.arrivedAt + lag, previous);
      previous = held.releaseAt;
    }
    this.#flush();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#queue.length = 0;
    this.#heldBytes = 0;
  }

  #push(chunk: Buffer): void {
    const now = performance.now();
    const previous = this.#queue.at(-1)?.releaseAt ?? Number.NEGATIVE_INFINITY;
    this.#queue.push({ chunk, arrivedAt: now, releaseAt: Math.max(now + this.#lag(), previous) });
    this.#heldBytes += chunk.length;
    if (this.#heldBytes > HIGH_WATER_BYTES) {
      this.#source.pause();
    }
    this.#flush();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped) {
      return;
    }
    const now = performance.now();
    let head = this.#queue[0];
    while (head !== undefined && head.releaseAt <= now && !this.#sinkBlocked) {
      this.#queue.shift();
      this.#heldBytes -= head.chunk.length;
      this.#sinkBlocked = !this.#sink.write(head.chunk);
      head = this.#queue[0];
    }
    if (this.#heldBytes <= HIGH_WATER_BYTES / 2 && this.#source.isPaused()) {
      this.#source.resume();
    }
    if (head !== undefined && !this.#sinkBlocked) {
      // A timer per head chunk, not per chunk: later chunks are never due before it.
      this.#timer = setTimeout(() => this.#flush(), Math.max(0, head.releaseAt - now));
    }
    this.#finishIfDrained();
  }

  /** The target's end of stream reaches the client only after every byte held before it. */
  #finishIfDrained(): void {
    if (this.#sourceEnded && this.#queue.length === 0 && !this.#stopped) {
      this.#sink.end();
    }
  }
}
