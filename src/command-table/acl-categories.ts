import { CommandFlag } from "./command-flags.js";

/**
 * Redis's ACL command categories (acl.c ACLCommandCategories), in Redis's order: ACL CAT lists them in
 * this order, COMMAND INFO prints a command's categories in it, and ACL LIST's best-fit description of a
 * user's commands tries them in it. Each is one bit of a command's `aclCategories`.
 */
export const ACL_CATEGORY_NAMES = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
] as const;

export type AclCategoryName = (typeof ACL_CATEGORY_NAMES)[number];

const bitByName = new Map<string, number>(ACL_CATEGORY_NAMES.map((n, i) => [n, 1 << i]));

export const AclCategory = {
  WRITE: bitByName.get("write")!,
  READ: bitByName.get("read")!,
  ADMIN: bitByName.get("admin")!,
  DANGEROUS: bitByName.get("dangerous")!,
  PUBSUB: bitByName.get("pubsub")!,
  FAST: bitByName.get("fast")!,
  SLOW: bitByName.get("slow")!,
  BLOCKING: bitByName.get("blocking")!,
  SCRIPTING: bitByName.get("scripting")!,
} as const;

/** The bit of a category name in any letter case, or 0 when there is no such category (as Redis). */
export function aclCategoryBit(name: string): number {
  return bitByName.get(name) ?? bitByName.get(name.toLowerCase()) ?? 0;
}

/** Space-separated names ("read string fast") → bits; unknown names throw (the metadata is generated). */
export function aclCategoriesFromNames(names: string): number {
  let bits = 0;
  for (const n of names.split(" ")) {
    if (n === "") continue;
    const bit = aclCategoryBit(n);
    if (bit === 0) throw new Error(`unknown ACL category '${n}' in the command metadata`);
    bits |= bit;
  }
  return bits;
}

/** The names of the bits set, in Redis's order. */
export function aclCategoryNames(bits: number): AclCategoryName[] {
  return ACL_CATEGORY_NAMES.filter((_, i) => bits & (1 << i));
}

/**
 * The categories Redis derives from a command's flags (server.c setImplicitACLCategories), for commands
 * that Redis 7.0's metadata does not describe (Tandem's extensions, newer subcommands).
 */
export function implicitAclCategories(flags: number, explicit = 0): number {
  let c = explicit;
  if (flags & CommandFlag.WRITE) c |= AclCategory.WRITE;
  if (flags & CommandFlag.READONLY && !(c & AclCategory.SCRIPTING)) c |= AclCategory.READ;
  if (flags & CommandFlag.ADMIN) c |= AclCategory.ADMIN | AclCategory.DANGEROUS;
  if (flags & CommandFlag.PUBSUB) c |= AclCategory.PUBSUB;
  if (flags & CommandFlag.FAST) c |= AclCategory.FAST;
  if (flags & CommandFlag.BLOCKING) c |= AclCategory.BLOCKING;
  if (!(c & AclCategory.FAST)) c |= AclCategory.SLOW;
  return c;
}
