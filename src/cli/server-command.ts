import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { ConfigError } from "../config/config-error.js";
import { ServerConfig } from "../config/server-config.js";
import { createServerLogger } from "../server/logger.js";
import { Server } from "../server/server.js";

/**
 * `tandem server [file.conf] [--directive value ...]`: like redis-server, command-line directives override
 * the file. A bad configuration stops start-up with "file:line: reason" on stderr and exit code 1.
 */
export async function serverCommand(args: string[]): Promise<number> {
  const file = args.length > 0 && !args[0].startsWith("--") ? args[0] : null;
  const rest = file === null ? args : args.slice(1);
  let config: ServerConfig;
  try {
    config = ServerConfig.load(file, rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`*** FATAL CONFIG ERROR ***\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const dir = config.get("dir");
  if (dir !== "") {
    try {
      process.chdir(dir);
    } catch (err) {
      process.stderr.write(`Can't chdir to '${dir}': ${(err as Error).message}\n`);
      return 1;
    }
  }
  const log = createServerLogger(config.get("logfile"), config.get("loglevel"));
  if (config.ignored.size > 0) {
    log.info(
      { directives: [...config.ignored].sort() },
      "configuration directives accepted with no effect in Tandem",
    );
  }
  const server = new Server(config, log);
  try {
    await server.listen();
  } catch (err) {
    log.error((err as Error).message);
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  const pidfile = config.get("pidfile");
  if (pidfile !== "") writeFileSync(pidfile, `${process.pid}\n`);
  log.info({ port: server.boundPort, pid: process.pid }, "Ready to accept connections");

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await server.shutdown({ save: null });
    if (pidfile !== "" && existsSync(pidfile)) unlinkSync(pidfile);
    log.info("Tandem is now ready to exit, bye bye...");
    log.flush?.();
    setImmediate(() => process.exit(code));
  };
  server.exitProcess = (code) => void stop(code);
  process.on("SIGTERM", () => {
    log.warn("Received SIGTERM scheduling shutdown...");
    void stop(0);
  });
  process.on("SIGINT", () => {
    log.warn("Received SIGINT scheduling shutdown...");
    void stop(0);
  });
  return new Promise<number>(() => {}); // runs until a signal or SHUTDOWN
}
