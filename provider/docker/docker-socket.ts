import * as http from "node:http";
import type { Duplex } from "node:stream";

/**
 * The few Docker Engine API calls the dyno manager makes, over the engine's unix socket. The
 * manager runs in its own small image that carries no node_modules, so it speaks HTTP directly
 * instead of through dockerode.
 */
export class DockerSocket {
  constructor(private readonly socketPath = "/var/run/docker.sock") {}

  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {},
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => {
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* plain-text answers (errors from old engines) stay text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }

  /**
   * A request whose bodies are bytes, not JSON: the archive API (`GET`/`PUT
   * /containers/{id}/archive`) sends and answers tar archives.
   */
  binary(method: string, path: string, body?: Buffer, timeoutMs = 10_000): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const contentType = "application/x-tar";
      const headers = body ? { "Content-Type": contentType, "Content-Length": body.length } : {};
      const req = http.request({ socketPath: this.socketPath, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      // A round of the manager waits for this: an engine that does not answer must not stall it.
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`${method} ${path}: no answer from the Docker Engine in ${timeoutMs / 1000} s`)),
      );
      req.end(body);
    });
  }

  /** Streams a GET's body (a POST's, when `body` is given) to `onChunk` until the connection ends. */
  stream(path: string, onChunk: (chunk: Buffer) => void, body?: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const headers = data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {};
      const req = http.request({ socketPath: this.socketPath, method: data ? "POST" : "GET", path, headers }, (res) => {
        res.on("data", onChunk);
        res.on("end", resolve);
        res.on("error", reject);
      });
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }

  /** POSTs `body` and takes the connection over (HTTP upgrade), as `docker exec -i` does. */
  hijack(path: string, body: unknown): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request({
        socketPath: this.socketPath,
        method: "POST",
        path,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data), Connection: "Upgrade", Upgrade: "tcp" },
      });
      req.on("upgrade", (_res, conn, head) => {
        if (head.length > 0) conn.unshift(head);
        resolve(conn);
      });
      req.on("response", (res) => {
        res.resume();
        reject(new Error(`${path}: the engine answered ${res.statusCode} instead of taking the connection over`));
      });
      req.on("error", reject);
      req.end(data);
    });
  }

  /** Streams engine events matching `filters` until the connection ends. */
  events(filters: Record<string, string[]>, onEvent: (e: DockerEvent) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.socketPath, method: "GET", path: `/events?filters=${encodeURIComponent(JSON.stringify(filters))}` },
        (res) => {
          let buffer = "";
          res.on("data", (d) => {
            buffer += d;
            let nl: number;
            while ((nl = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (line) onEvent(JSON.parse(line));
            }
          });
          res.on("end", resolve);
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
  }
}

/**
 * Decodes Docker's framed stream (no TTY: 8 bytes of header — stream, 0, 0, 0, length — per
 * chunk) and hands the text on as it completes; chunks may split frames anywhere.
 */
export function frameDecoder(onText: (text: string) => void): (chunk: Buffer) => void {
  let frames = Buffer.alloc(0);
  return (chunk) => {
    frames = Buffer.concat([frames, chunk]);
    while (frames.length >= 8) {
      const len = frames.readUInt32BE(4);
      if (frames.length < 8 + len) break;
      onText(frames.subarray(8, 8 + len).toString());
      frames = frames.subarray(8 + len);
    }
  };
}

/** Follows a container's output (stdout and stderr, from now on) line by line until it ends. */
export function followLogLines(
  socket: DockerSocket,
  id: string,
  onLine: (line: string) => void,
  sinceSeconds = Math.floor(Date.now() / 1000),
): Promise<void> {
  const since = Math.floor(sinceSeconds);
  let text = "";
  const decode = frameDecoder((t) => {
    text += t;
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      onLine(text.slice(0, nl));
      text = text.slice(nl + 1);
    }
  });
  return socket.stream(`/containers/${id}/logs?follow=1&stdout=1&stderr=1&since=${since}`, decode);
}

/** Runs a command in a container and returns what it wrote (stdout and stderr, demultiplexed). */
export async function execOutput(socket: DockerSocket, id: string, cmd: string[]): Promise<string> {
  const exec = await socket.request<{ Id: string; message?: string }>("POST", `/containers/${encodeURIComponent(id)}/exec`, {
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
  });
  if (exec.status !== 201) throw new Error(`exec in ${id}: ${exec.body.message ?? exec.status}`);
  let out = "";
  await socket.stream(
    `/exec/${exec.body.Id}/start`,
    frameDecoder((t) => (out += t)),
    { Detach: false, Tty: false },
  );
  return out;
}

/**
 * Starts a command in a container with its stdin attached and returns the hijacked connection:
 * what is written to it goes to the command's stdin, what comes back is Docker's framed output
 * (decode with {@link frameDecoder}). Destroying it closes the command's stdin.
 */
export async function execAttached(socket: DockerSocket, id: string, cmd: string[]): Promise<Duplex> {
  const exec = await socket.request<{ Id: string; message?: string }>("POST", `/containers/${encodeURIComponent(id)}/exec`, {
    Cmd: cmd,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
  });
  if (exec.status !== 201) throw new Error(`exec in ${id}: ${exec.body.message ?? exec.status}`);
  return socket.hijack(`/exec/${exec.body.Id}/start`, { Detach: false, Tty: false });
}

export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
}
