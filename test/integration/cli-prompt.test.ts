import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, startTandem, TANDEM_BIN, which } from "../helpers/processes.js";

/**
 * `tandem cli`'s prompt on a real terminal: util-linux `script` gives it a pseudo-terminal, and the whole
 * input is typed at once (readline then reads lines ahead of the commands being run, which is what
 * once let an AUTH line into the history).
 */

const SCRIPT = which("script");
const NO_SCRIPT = SCRIPT ? false : "util-linux `script` is not installed (it provides the pseudo-terminal)";

/**
 * Runs `command` on a pseudo-terminal and types `lines` one at a time, each once the prompt is back (typed
 * all at once, input can be lost while the prompt switches the terminal mode, and the session then waits
 * for ever). Bounded: past 20 s the session is killed and the output so far is returned with code null.
 */
function onTerminal(
  command: string,
  lines: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(SCRIPT!, ["-qec", command, "/dev/null"], { env: { ...process.env, ...env } });
    let out = "";
    let typed = 0;
    const typeNext = () => {
      // One prompt ("> ") per line typed so far means the previous line was handled.
      const prompts = out.split("> ").length - 1;
      if (typed < lines.length && prompts > typed) {
        p.stdin.write(`${lines[typed++]}\r`);
        if (typed === lines.length) p.stdin.end();
      }
    };
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      typeNext();
    });
    p.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("tandem cli prompt on a terminal", { skip: NO_SCRIPT }, () => {
  let s: ServerProcess;
  before(async () => {
    s = await startTandem();
  });
  after(async () => {
    await s?.stop();
  });

  it("shows the database and MULTI in the prompt, keeps AUTH lines out of the history, quits with 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-cli-prompt-"));
    const histfile = join(dir, "history");
    const typed = [
      "SET greeting hello",
      "SELECT 3",
      "AUTH secret",
      "MULTI",
      "DISCARD",
      "GET greeting",
      "quit",
    ];
    const r = await onTerminal(`${process.execPath} ${TANDEM_BIN} cli -p ${s.port}`, typed, {
      TANDEM_CLI_HISTFILE: histfile,
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`127\\.0\\.0\\.1:${s.port}> `));
    assert.match(r.out, new RegExp(`127\\.0\\.0\\.1:${s.port}\\[3\\]> `));
    assert.match(r.out, new RegExp(`127\\.0\\.0\\.1:${s.port}\\[3\\]\\(TX\\)> `));
    // On a terminal replies are formatted: GET in db 3 finds nothing.
    assert.match(r.out, /\(nil\)/);
    assert.equal(
      readFileSync(histfile, "utf8"),
      "SET greeting hello\nSELECT 3\nMULTI\nDISCARD\nGET greeting\nquit\n",
    );
  });
});
