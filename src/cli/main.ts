/**
 * `tandem <subcommand> ...`: one file per subcommand; this only dispatches. Subcommands are imported on
 * demand, so `tandem server` never loads the proxy's modules and the other way round.
 */

const USAGE = `Usage: tandem <command> [args]

Commands:
  server [file.conf] [--directive value ...]   run a Redis-compatible server
  proxy [proxy.yaml] [--listen h:p ...]         run the read/write-splitting proxy
  up [--port-offset n] [--dir path]             start master, two replicas and the proxy (npm start)
  status [--proxy h:p] [-a password]            show the proxy's backends (lag, in flight, drain state)
  drain <h:p> [--wait] [--timeout s]            stop sending reads to a replica (--proxy, -a as status)
  undrain <h:p>                                 send reads to a drained replica again (--proxy, -a as status)
  cli [-h host] [-p port] [-a pw] [command ...]  a redis-cli work-alike: one command, stdin, or a prompt

Run 'tandem <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "server":
      return (await import("./server-command.js")).serverCommand(rest);
    case "proxy":
      return (await import("./proxy-command.js")).proxyCommand(rest);
    case "up":
      return (await import("./up-command.js")).upCommand(rest);
    case "status":
      return (await import("./admin-command.js")).statusCommand(rest);
    case "drain":
      return (await import("./admin-command.js")).drainCommand(rest);
    case "undrain":
      return (await import("./admin-command.js")).undrainCommand(rest);
    case "cli":
      return (await import("./cli-command.js")).cliCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return sub === undefined ? 1 : 0;
    default:
      process.stderr.write(`tandem: unknown command '${sub}'\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // A failed start-up may leave listeners open (e.g. the dataset failed to load after listen): exit anyway.
    if (code !== 0) process.exit(code);
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
