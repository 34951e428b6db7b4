import type { CliCommand } from './command.ts';
import { modelConvert } from './commands/model-convert.ts';

/**
 * Every `khoa` subcommand, in the order `khoa help` lists them.
 * A new command is one file in `commands/` plus one line here.
 */
export const commands: CliCommand[] = [
  modelConvert,
];
