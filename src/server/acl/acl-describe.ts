import { ACL_CATEGORY_NAMES, aclCategoryBit } from "../../command-table/acl-categories.js";
import type { CommandSpec } from "../../command-table/command-table.js";
import { AclSelector, type KeyPattern, KeyPerm, SelectorFlag } from "./acl-selector.js";

/**
 * Turning a selector back into rules (ACL LIST, ACL GETUSER, ACL SAVE, CONFIG REWRITE), as Redis 7.0
 * does: it keeps no rule text, only the command bitmap, so it starts from +@all or -@all, then greedily
 * applies the category that best fits the bits still unexplained, and ends with the single commands that
 * differ. Reproducing the same greedy choice gives the same text as Redis (single commands aside, whose
 * order follows Redis's hash table there).
 */

/** `~pat`, `%R~pat` or `%W~pat` (Redis's sdsCatPatternString). */
export function patternText(p: KeyPattern): string {
  const prefix = p.flags === KeyPerm.ALL ? "~" : p.flags === KeyPerm.READ ? "%R~" : "%W~";
  return prefix + p.pattern;
}

/** Counts the commands of a category whose bit is set (on) and not set (off). */
function countCategory(s: AclSelector, bit: number): [number, number] {
  let on = 0;
  let off = 0;
  for (const cmd of s.commands.all) {
    if (cmd.aclCategories & bit) {
      if (s.bit(cmd.aclId)) on++;
      else off++;
    }
  }
  return [on, off];
}

function singleCommandRules(
  s: AclSelector,
  fake: AclSelector,
  cmds: readonly CommandSpec[],
  out: string[],
): void {
  for (const cmd of cmds) {
    const userBit = s.bit(cmd.aclId);
    if (userBit !== fake.bit(cmd.aclId)) {
      out.push(`${userBit ? "+" : "-"}${cmd.fullName}`);
      fake.changePerm(cmd, userBit);
    }
    const subs = s.commands.subcommandsOf(cmd);
    if (subs.length > 0) singleCommandRules(s, fake, subs, out);
    const args = userBit ? undefined : s.firstArgs?.get(cmd.aclId);
    if (args) for (const a of args) out.push(`+${cmd.fullName}|${a}`);
  }
}

/** The command part of a selector's description (Redis's ACLDescribeSelectorCommandRules). */
export function describeCommandRules(s: AclSelector): string {
  const out: string[] = [];
  const fake = new AclSelector(s.commands, 0);
  const additive = !s.future;
  out.push(additive ? "-@all" : "+@all");
  fake.apply(additive ? "-@all" : "+@all");

  // The bits still to explain: each applied category is removed from (or added back to) this copy.
  const temp = new AclSelector(s.commands, 0);
  temp.allowed.set(s.allowed);
  const applied = new Array<boolean>(ACL_CATEGORY_NAMES.length).fill(false);
  for (;;) {
    let best = -1;
    let minDiff = Number.MAX_SAFE_INTEGER;
    let maxSame = 0;
    for (let j = 0; j < ACL_CATEGORY_NAMES.length; j++) {
      if (applied[j]) continue;
      const [on, off] = countCategory(temp, aclCategoryBit(ACL_CATEGORY_NAMES[j]));
      const diff = additive ? off : on;
      const same = additive ? on : off;
      if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
        best = j;
        minDiff = diff;
        maxSame = same;
      }
    }
    if (best === -1) break;
    const name = ACL_CATEGORY_NAMES[best];
    fake.apply(`${additive ? "+" : "-"}@${name}`);
    temp.apply(`${additive ? "-" : "+"}@${name}`);
    out.push(`${additive ? "+" : "-"}@${name}`);
    applied[best] = true;
  }
  singleCommandRules(s, fake, s.commands.top, out);
  return out.join(" ");
}

/** A selector's rules: keys, channels, commands (Redis's ACLDescribeSelector, without the trailing space). */
export function describeSelector(s: AclSelector): string {
  let res = "";
  if (s.flags & SelectorFlag.ALLKEYS) res += "~* ";
  else for (const p of s.patterns) res += `${patternText(p)} `;
  if (s.flags & SelectorFlag.ALLCHANNELS) res += "&* ";
  else {
    res += "resetchannels ";
    for (const ch of s.channels) res += `&${ch} `;
  }
  return res + describeCommandRules(s);
}
