/**
 * `tandem <subcommand> ...`: one file per subcommand; this only dispatches. Subcommands are imported on
 * demand, so `tandem server` never loads the proxy's modules and the other way round.
 */

const USAGE = `Usage: tandem <command> [args]

Commands:
  server [file.conf] [--directive value ...]   run a Redis-compatible server
  proxy [proxy.yaml] [--listen h:p ...]         run the read/write-splitting proxy
  up [--port-offset n] [--dir path]             start master, two replicas and the proxy (npm start)
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
