import { readFileSync } from "node:fs";

/** Resident set of a process from /proc (MB): `VmHWM` the peak so far, `VmRSS` now; 0 where unreadable. */
export function rssMb(pid: number | undefined, field: "VmHWM" | "VmRSS" = "VmHWM"): number {
  if (pid === undefined) return 0;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
