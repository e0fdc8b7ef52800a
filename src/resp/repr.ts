/** Redis's sdscatrepr: a double-quoted string with C escapes and \xHH for other non-printable bytes. */
export function reprString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    switch (ch) {
      case 0x5c:
        out += "\\\\";
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      default:
        if (ch >= 0x20 && ch <= 0x7e) out += s[i];
        else out += "\\x" + ch.toString(16).padStart(2, "0");
    }
  }
  return out + '"';
}
