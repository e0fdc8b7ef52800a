/** Decoded RESP values, as the general-purpose decoder returns them (replication handshake, tests, tools). */

export class RespErrorReply extends Error {
  /** The first word of the message: ERR, WRONGTYPE, READONLY, NOAUTH, ... */
  readonly prefix: string;
  constructor(message: string) {
    super(message);
    this.name = "RespErrorReply";
    const space = message.indexOf(" ");
    this.prefix = space < 0 ? message : message.slice(0, space);
  }
}

export class RespPush {
  constructor(readonly items: RespValue[]) {}
}

export class RespVerbatim {
  constructor(
    readonly format: string,
    readonly text: Buffer,
  ) {}
}

export type RespValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | RespErrorReply
  | RespVerbatim
  | RespPush
  | Map<RespValue, RespValue>
  | Set<RespValue>
  | RespValue[];
