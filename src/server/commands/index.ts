import type { CommandDef } from "../command-registry.js";
import { evalCommands } from "../scripting/eval-commands.js";
import { functionCommands } from "../scripting/function-commands.js";
import { aclCommands } from "./acl-command.js";
import { bitopsCommands } from "./bitops.js";
import { connectionCommands } from "./connection.js";
import { debugCommands } from "./debug.js";
import { dumpRestoreCommands } from "./dump-restore.js";
import { geoCommands } from "./geo.js";
import { hashCommands } from "./hashes.js";
import { hyperloglogCommands } from "./hyperloglog.js";
import { introspectionCommands } from "./introspection.js";
import { keyCommands } from "./keys.js";
import { listCommands } from "./lists.js";
import { objectCommands } from "./object.js";
import { persistenceCommands } from "./persistence.js";
import { pubsubCommands } from "./pubsub.js";
import { replicationCommands } from "./replication.js";
import { serverAdminCommands } from "./server-admin.js";
import { setCommands } from "./sets.js";
import { sortCommands } from "./sort.js";
import { streamCommands } from "./streams.js";
import { stringCommands } from "./strings.js";
import { transactionCommands } from "./transactions.js";
import { zsetCommands } from "./zsets.js";

/** Every command family the server implements. A family is one file exporting a CommandDef[]. */
export const allCommandFamilies: readonly (readonly CommandDef[])[] = [
  connectionCommands,
  serverAdminCommands,
  stringCommands,
  bitopsCommands,
  hyperloglogCommands,
  keyCommands,
  dumpRestoreCommands,
  objectCommands,
  hashCommands,
  listCommands,
  setCommands,
  zsetCommands,
  geoCommands,
  streamCommands,
  sortCommands,
  transactionCommands,
  pubsubCommands,
  persistenceCommands,
  debugCommands,
  replicationCommands,
  evalCommands,
  functionCommands,
  aclCommands,
  introspectionCommands,
];
