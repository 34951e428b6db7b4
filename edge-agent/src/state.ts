import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { compile, KhoaError } from '@khoa/protocol';
import { readJsonFile, writeFileAtomic } from './queue/atomic-file.ts';

export const AgentStateSchema = Type.Object(
  {
    armed: Type.Boolean(),
    mode: Type.Optional(Type.Union([Type.Literal('away'), Type.Literal('home')])),
    /** Epoch ms of the last arm/disarm. */
    changedAt: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type AgentState = Static<typeof AgentStateSchema>;
const stateValidator = compile(AgentStateSchema, 'KHOA_ERR_STORAGE');

const FILE = 'state.json';

/**
 * The agent's small persistent state (armed or not), kept across restarts and power cuts.
 * The hub's rules stay the authority on alarms; this copy lets the household's panel, a
 * siren or a later driver act on "armed" while the hub is unreachable.
 */
export class StateStore {
  private constructor(
    private readonly file: string,
    private state: AgentState,
  ) {}

  /** Loads the state; a damaged file is reported through `onCorrupt` and replaced by "disarmed". */
  static open(dataDir: string, onCorrupt: (err: KhoaError) => void): StateStore {
    const file = path.join(dataDir, FILE);
    const raw = readJsonFile(file);
    if (raw === undefined) return new StateStore(file, { armed: false });
    const r = stateValidator.check(raw);
    if (r.ok) return new StateStore(file, r.value);
    onCorrupt(new KhoaError('KHOA_ERR_STORAGE', `${FILE} is damaged (${r.error.message}); starting disarmed`, { file }));
    return new StateStore(file, { armed: false });
  }

  get(): Readonly<AgentState> {
    return this.state;
  }

  set(next: AgentState): void {
    writeFileAtomic(this.file, `${JSON.stringify(next)}\n`);
    this.state = next;
  }
}
