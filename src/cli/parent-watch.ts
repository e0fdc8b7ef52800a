import { Socket } from "node:net";

/**
 * `tandem up` starts its servers and proxy with one more stdio pipe and names its descriptor in this
 * environment variable. Nothing is ever written on it: the child only waits for end-of-file, which the
 * kernel delivers when the launcher's end closes — however the launcher ended, SIGKILL included. The
 * child then shuts down as on SIGTERM, so a killed launcher leaves no orphan holding the ports.
 */
export const PARENT_FD_ENV = "TANDEM_PARENT_FD";

/**
 * Calls `onGone` once the launcher's pipe closes. Does nothing (and returns false) when this process was
 * not started by `tandem up`. The variable is removed so that processes started from here do not watch
 * a descriptor they never got.
 */
export function watchParent(onGone: () => void): boolean {
  const value = process.env[PARENT_FD_ENV];
  if (value === undefined) return false;
  delete process.env[PARENT_FD_ENV];
  const fd = Number(value);
  if (!Number.isInteger(fd) || fd < 3) return false;
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return false;
  }
  let fired = false;
  const gone = () => {
    if (fired) return;
    fired = true;
    pipe.destroy();
    onGone();
  };
  pipe.on("end", gone);
  pipe.on("close", gone);
  pipe.on("error", gone);
  pipe.on("data", () => {}); // reading is what notices the end; nothing is expected
  pipe.unref(); // watching alone keeps no process alive
  return true;
}
