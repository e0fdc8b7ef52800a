import { serverCommand } from "./server-command.js";

/** `tandem <subcommand> ...`: one file per subcommand; this only dispatches. */

const USAGE = `Usage: tandem <command> [args]

Commands:
  server [file.conf] [--directive value ...]   run a Redis-compatible server
`;

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "server":
      return serverCommand(rest);
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
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
