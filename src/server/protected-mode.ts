/**
 * protected-mode (Redis 7.0's clientAcceptHandler): while it is on and the default user needs no password,
 * only loopback peers may connect, whatever `bind` says. Redis counts exactly 127.0.0.1 and ::1 as local
 * (not the rest of 127/8); an IPv4 peer seen through a dual-stack socket (::ffff:127.0.0.1) is the same
 * loopback peer.
 */
export function protectedModeDenies(
  protectedMode: boolean,
  defaultUserNopass: boolean,
  peerIp: string,
): boolean {
  if (!protectedMode || !defaultUserNopass) return false;
  return !(peerIp === "127.0.0.1" || peerIp === "::1" || peerIp === "::ffff:127.0.0.1");
}

/** Redis 7.0's reply to a refused peer, word for word (its typos included), without the "-" and CRLF. */
export const PROTECTED_MODE_DENIED =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";
