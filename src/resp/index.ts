export { d2string, formatDouble17g, formatHumanDouble } from "./format-double.js";
export { INCOMPLETE, scanFrame } from "./frame-scanner.js";
export { ProtocolError, type ProtocolErrorCode } from "./protocol-error.js";
export { encodeCommand, encodeCommandString, ReplyWriter } from "./reply-writer.js";
export { RequestParser, type RequestSink, splitArgs } from "./request-parser.js";
export { BAD_LENGTH, parseLength, RespByte } from "./resp-bytes.js";
export { RespDecoder } from "./resp-decoder.js";
export * from "./resp-limits.js";
export { RespErrorReply, RespPush, type RespValue, RespVerbatim } from "./resp-value.js";
