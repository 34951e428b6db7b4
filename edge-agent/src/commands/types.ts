import type { CommandName, CommandPayloads } from '@khoa/protocol';
import type { CameraProvider } from '../cameras.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { StateStore } from '../state.ts';

/** Hooks a deployment can give the agent for commands that reach outside it. */
export interface CommandHooks {
  /** Plays or shows an advisory (a speaker, a screen). The agent logs every advisory either way. */
  onAdvisory?: (advisory: CommandPayloads['advisory']) => void | Promise<void>;
  /** argv of a command that restarts the device (e.g. `['sudo', 'systemctl', 'reboot']`); without it `reboot` is refused. */
  rebootCommand?: readonly string[];
}

/** Settings the hub may change at runtime through `cmd/config`. */
export interface RuntimeSettings {
  heartbeatIntervalS?: number;
  logLevel?: string;
}

export interface CommandContext {
  state: StateStore;
  cameras: readonly CameraProvider[];
  hooks: CommandHooks;
  applySettings: (s: RuntimeSettings) => void;
  log: Logger;
  clock: Clock;
}

export interface CommandResult {
  ok: boolean;
  error?: string;
  state?: Record<string, unknown>;
  /** Runs after the reply has been handed to the link (a reboot must not swallow its own reply). */
  after?: () => void;
}

/** One command: its handler gets a payload already checked against the protocol's schema. */
export interface CommandHandler<N extends CommandName> {
  name: N;
  handle(payload: CommandPayloads[N], ctx: CommandContext): Promise<CommandResult>;
}
