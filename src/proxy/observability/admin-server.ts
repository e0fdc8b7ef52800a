import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The proxy's HTTP admin listener (node:http): `/metrics` (Prometheus text), `/status` (JSON), `/` (the
 * status page, one static HTML file that polls /status). GET and HEAD only; 404 for any other path.
 * With a password set, every route asks for HTTP Basic auth (any user name, that password).
 */

export interface AdminRoutes {
  /** Prometheus exposition text and its content type. */
  metrics(): Promise<{ text: string; contentType: string }>;
  /** The /status document. */
  status(): unknown;
}

/** The admin address cannot be bound: startup stops with this (it names the address). */
export class AdminListenError extends Error {
  readonly code = "ADMIN_LISTEN_FAILED";
  constructor(
    readonly address: string,
    cause: NodeJS.ErrnoException,
  ) {
    const why = cause.code === "EADDRINUSE" ? "the port is already in use" : cause.message;
    super(`cannot listen on ${address} (admin: /metrics, /status): ${why}`);
    this.name = "AdminListenError";
  }
}

/** The status page ships as a source file (no build step): next to this module, or in src/ beside dist/. */
function readStatusPage(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, "status-page.html"),
    join(here, "..", "..", "..", "..", "src", "proxy", "observability", "status-page.html"),
  ];
  for (const file of candidates) if (existsSync(file)) return readFileSync(file, "utf8");
  throw Object.assign(new Error(`status-page.html not found (looked in ${candidates.join(", ")})`), {
    code: "STATUS_PAGE_MISSING",
  });
}

/** The page may run its own inline script and call back to this listener, nothing else. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

export class AdminServer {
  private readonly server: Server;
  private readonly page: Buffer;
  private readonly passwordDigest: Buffer | null;

  constructor(
    readonly host: string,
    readonly port: number,
    password: string,
    private readonly routes: AdminRoutes,
  ) {
    this.page = Buffer.from(readStatusPage());
    this.passwordDigest = password === "" ? null : digest(password);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `${err.message}\n`);
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  get address(): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Binds; rejects with AdminListenError naming the address. Resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(new AdminListenError(this.address, err));
      this.server.once("error", onError);
      this.server.listen({ host: this.host, port: this.port }, () => {
        this.server.off("error", onError);
        resolve(this.boundPort);
      });
    });
  }

  get boundPort(): number {
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req.headers.authorization)) {
      res.setHeader("WWW-Authenticate", 'Basic realm="Tandem proxy admin", charset="UTF-8"');
      return send(res, 401, "text/plain; charset=utf-8", "authentication required\n");
    }
    const path = new URL(req.url ?? "/", "http://admin").pathname;
    const route = path === "/" || path === "/metrics" || path === "/status" ? path : null;
    if (route === null) return send(res, 404, "text/plain; charset=utf-8", `no such page: ${path}\n`);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
    }
    res.setHeader("Cache-Control", "no-store");
    if (route === "/metrics") {
      const m = await this.routes.metrics();
      return send(res, 200, m.contentType, m.text, req.method === "HEAD");
    }
    if (route === "/status") {
      const body = `${JSON.stringify(this.routes.status())}\n`;
      return send(res, 200, "application/json; charset=utf-8", body, req.method === "HEAD");
    }
    res.setHeader("Content-Security-Policy", PAGE_POLICY);
    send(res, 200, "text/html; charset=utf-8", this.page, req.method === "HEAD");
  }

  /** HTTP Basic: any user name, the configured password (compared in constant time). */
  private authorized(header: string | undefined): boolean {
    const want = this.passwordDigest;
    if (want === null) return true;
    const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (m === null) return false;
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    return timingSafeEqual(digest(decoded.slice(colon + 1)), want);
  }
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

function send(
  res: ServerResponse,
  code: number,
  type: string,
  body: string | Buffer,
  headOnly = false,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(code, { "Content-Type": type, "Content-Length": bytes.length });
  res.end(headOnly ? undefined : bytes);
}
