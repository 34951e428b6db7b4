import type { CliCommand } from './command.ts';
import { modelConvert } from './commands/model-convert.ts';
import { analyze } from './commands/analyze.ts';
import { hub } from './commands/hub.ts';
import { area } from './commands/area.ts';
import { household } from './commands/household.ts';
import { provision } from './commands/provision.ts';
import { device } from './commands/device.ts';
import { bench } from './commands/bench.ts';
import { demo } from './commands/demo.ts';
import { user } from './commands/user.ts';
import { report } from './commands/report.ts';

/**
 * Every `khoa` subcommand, in the order `khoa help` lists them.
 * A new command is one file in `commands/` plus one line here.
 */
export const commands: CliCommand[] = [
  demo,
  hub,
  area,
  household,
  provision,
  device,
  user,
  report,
  modelConvert,
  analyze,
  bench,
];
