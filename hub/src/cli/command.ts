/** One `khoa` subcommand. Each lives in its own file under `commands/` and is listed in `index.ts`. */
export interface CliCommand {
  /** The word after `khoa`, e.g. `hub` or `analyze`. */
  name: string;
  /** One line shown by `khoa help`. */
  summary: string;
  /** Full usage text shown by `khoa <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}
