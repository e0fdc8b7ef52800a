import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { ERR_SYNTAX } from "../shared-replies.js";

/** Command family: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF (Redis's replies and error texts). */

function saveCommand(c: Client): void {
  const p = c.server.persistence;
  if (p.bgsaveInProgress) {
    c.reply.error("ERR Background save already in progress");
    return;
  }
  if (p.saveSync()) c.reply.ok();
  else c.reply.error("ERR");
}

function bgsaveCommand(c: Client, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && argv[1].toLowerCase() === "schedule") schedule = true;
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const p = c.server.persistence;
  if (p.bgsaveInProgress) {
    c.reply.error("ERR Background save already in progress");
    return;
  }
  // Without fork there is no child process to wait for, so SCHEDULE simply starts it.
  void schedule;
  if (p.bgsave()) c.reply.simple("Background saving started");
  else c.reply.error("ERR Background save already in progress");
}

function lastsaveCommand(c: Client): void {
  c.reply.integer(c.server.persistence.lastSave);
}

function bgrewriteaofCommand(c: Client): void {
  const p = c.server.persistence;
  if (p.aof?.rewriting) {
    c.reply.error("ERR Background append only file rewriting already in progress");
    return;
  }
  if (p.rewriteAof()) c.reply.simple("Background append only file rewriting started");
  else
    c.reply.error(
      "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
    );
}

export const persistenceCommands: CommandDef[] = [
  { name: "save", handler: saveCommand },
  { name: "bgsave", handler: bgsaveCommand },
  { name: "lastsave", handler: lastsaveCommand },
  { name: "bgrewriteaof", handler: bgrewriteaofCommand },
];
