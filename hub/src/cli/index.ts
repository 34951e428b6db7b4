import type { CliCommand } from './command.ts';

/**
 * Every `khoa` subcommand, in the order `khoa help` lists them.
 * A new command is one file in `commands/` plus one line here.
 */
export const commands: CliCommand[] = [];
