import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cliReply } from "../../../src/cli/cli-reply.js";
import { formatReply, quoteBytes, UnknownReplyType } from "../../../src/cli/format-reply.js";

/**
 * The reply printer over hand-written RESP frames. Expected texts follow redis-cli 7.0's rules
 * (cliFormatReplyTTY / cliFormatReplyRaw); the interop test checks them against redis-cli itself.
 */

const tty = (frame: string) => formatReply(cliReply(Buffer.from(frame, "latin1")), "tty");
const raw = (frame: string) => formatReply(cliReply(Buffer.from(frame, "latin1")), "raw");
const bulk = (s: string) => `$${Buffer.byteLength(s, "latin1")}\r\n${s}\r\n`;

describe("formatReply, terminal form", () => {
  it("prints scalars with their type markers", () => {
    assert.equal(tty("+OK\r\n"), "OK\n");
    assert.equal(tty(":42\r\n"), "(integer) 42\n");
    assert.equal(tty(":-9223372036854775808\r\n"), "(integer) -9223372036854775808\n");
    assert.equal(tty("$-1\r\n"), "(nil)\n");
    assert.equal(tty("*-1\r\n"), "(nil)\n");
    assert.equal(tty("_\r\n"), "(nil)\n");
    assert.equal(tty("-ERR wrong\r\n"), "(error) ERR wrong\n");
    assert.equal(tty("!9\r\nSYNTAX no\r\n"), "(error) SYNTAX no\n");
    assert.equal(tty("#t\r\n"), "(true)\n");
    assert.equal(tty("#f\r\n"), "(false)\n");
    assert.equal(tty("=15\r\ntxt:hello\nworld\r\n"), "hello\nworld\n");
  });

  it("prints a double as the server wrote it, not as a JavaScript number", () => {
    assert.equal(tty(",1.6000000000000001\r\n"), "(double) 1.6000000000000001\n");
    assert.equal(tty(",5\r\n"), "(double) 5\n");
    assert.equal(tty(",-inf\r\n"), "(double) -inf\n");
    assert.equal(tty("*2\r\n:5\r\n,5\r\n"), "1) (integer) 5\n2) (double) 5\n");
  });

  it("quotes bulk strings with C escapes and \\xHH for other bytes", () => {
    assert.equal(
      tty(bulk('a"b\\c\n\r\t\x07\x08\x00\x7f\xff~ ')),
      '"a\\"b\\\\c\\n\\r\\t\\a\\b\\x00\\x7f\\xff~ "\n',
    );
    assert.equal(quoteBytes(Buffer.from("é", "utf8")), '"\\xc3\\xa9"');
    assert.equal(tty("$0\r\n\r\n"), '""\n');
  });

  it("numbers array elements with the index width, and indents nested ones by it", () => {
    const items = Array.from({ length: 10 }, (_, i) => bulk(`v${i + 1}`)).join("");
    const ten = tty(`*10\r\n${items}`);
    assert.equal(ten.split("\n")[0], ' 1) "v1"');
    assert.equal(ten.split("\n")[9], '10) "v10"');
    const nested = tty(`*2\r\n*2\r\n${bulk("a")}:1\r\n*1\r\n*1\r\n${bulk("deep")}`);
    assert.equal(nested, '1) 1) "a"\n   2) (integer) 1\n2) 1) 1) "deep"\n');
    const wide = tty(`*10\r\n${items.slice(0, -"$3\r\nv10\r\n".length)}*2\r\n:1\r\n:2\r\n`);
    assert.ok(wide.endsWith("10) 1) (integer) 1\n    2) (integer) 2\n"), wide);
  });

  it("prints empty aggregates by their kind", () => {
    assert.equal(tty("*0\r\n"), "(empty array)\n");
    assert.equal(tty("%0\r\n"), "(empty hash)\n");
    assert.equal(tty("~0\r\n"), "(empty set)\n");
    assert.equal(tty(">0\r\n"), "(empty push)\n");
  });

  it("prints maps as `n# key => value`, a multi-line value starting on its own line", () => {
    assert.equal(tty(`%2\r\n${bulk("k")}${bulk("v")}+a\r\n:1\r\n`), '1# "k" => "v"\n2# a => (integer) 1\n');
    assert.equal(
      tty(`%1\r\n${bulk("k")}*2\r\n:1\r\n:2\r\n`),
      '1# "k" => \n   1) (integer) 1\n   2) (integer) 2\n',
    );
    assert.equal(tty(`%1\r\n${bulk("k")}*1\r\n:1\r\n`), '1# "k" => 1) (integer) 1\n');
    assert.equal(tty(`~2\r\n${bulk("x")}:7\r\n`), '1~ "x"\n2~ (integer) 7\n');
    assert.equal(tty(`>2\r\n${bulk("message")}${bulk("hi")}`), '1) "message"\n2) "hi"\n');
  });

  it("keeps a double inside a map apart from the integers around it", () => {
    assert.equal(
      tty(`%2\r\n${bulk("a")},1.5\r\n${bulk("b")}:2\r\n`),
      '1# "a" => (double) 1.5\n2# "b" => (integer) 2\n',
    );
  });

  it("has no form for a big number, as redis-cli 7.0 has none", () => {
    assert.throws(() => tty("(3492890328409238509324850943850943825024385\r\n"), UnknownReplyType);
    assert.throws(() => raw("*1\r\n(1\r\n"), UnknownReplyType);
  });

  it("skips attributes and prints the value they decorate", () => {
    assert.equal(tty(`|1\r\n+ttl\r\n:3\r\n:5\r\n`), "(integer) 5\n");
  });
});

describe("formatReply, raw form", () => {
  it("prints payloads as they are, one element per line, and nothing for a nil", () => {
    assert.equal(raw("+OK\r\n"), "OK\n");
    assert.equal(raw(":7\r\n"), "7\n");
    assert.equal(raw("$-1\r\n"), "\n");
    assert.equal(raw(bulk("a\nb\xff")), "a\nb\xff\n");
    assert.equal(raw("-ERR no\r\n"), "ERR no\n\n");
    assert.equal(raw(`*3\r\n${bulk("a")}$-1\r\n:3\r\n`), "a\n\n3\n");
    assert.equal(raw("*0\r\n"), "\n");
    assert.equal(raw(`%2\r\n${bulk("k")}${bulk("v")}${bulk("n")},2.5\r\n`), "k v\nn 2.5\n");
    assert.equal(raw("#t\r\n"), "(true)\n");
    assert.equal(raw("=8\r\ntxt:text\r\n"), "text\n");
  });

  it("verbatim commands (INFO and the like) get no newline added", () => {
    const r = cliReply(Buffer.from(bulk("# Server\r\n"), "latin1"));
    assert.equal(formatReply(r, "tty", true), "# Server\r\n");
    assert.equal(formatReply(r, "raw", true), "# Server\r\n");
  });
});
