import { Type, type Static } from '@sinclair/typebox';
import { Id } from './ids.ts';
import { LOCK_KINDS } from './messages/register.ts';
import { compile } from './validate.ts';

/**
 * The edge agent's config file, written once by `khoa provision agent` (firmware-config) and
 * read by `khoa-agent --config FILE`. Shared here so the writer and the reader cannot drift.
 * It holds the device's only copy of its MQTT password: the hub keeps just a hash, so the file
 * must be written with mode 0600 and never logged.
 */
export const AGENT_CONFIG_VERSION = 1;

export const AgentLockConfigSchema = Type.Object(
  {
    id: Id,
    kind: Type.Union(LOCK_KINDS.map((k) => Type.Literal(k))),
    /** Driver key on the agent, e.g. `simulator`, `gpio`, `zigbee2mqtt`. */
    driver: Type.String({ minLength: 1, maxLength: 32 }),
    name: Type.Optional(Type.String({ maxLength: 80 })),
    /** Driver-specific options; each driver validates its own. */
    options: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const AgentConfigSchema = Type.Object(
  {
    version: Type.Literal(AGENT_CONFIG_VERSION),
    deviceId: Id,
    householdId: Id,
    /** MQTT password; random, made at provisioning. The MQTT username and client id are `deviceId`. */
    password: Type.String({ minLength: 16, maxLength: 256 }),
    mqtt: Type.Object(
      {
        /** `mqtt://host:port`, `mqtts://host:port` (TLS) or `ws://` / `wss://host:port/path`. */
        url: Type.String({ pattern: '^(mqtts?|wss?)://[^\\s]+$', maxLength: 512 }),
        /** PEM of the CA that signed the hub's TLS certificate, when it is not a public CA. */
        ca: Type.Optional(Type.String({ maxLength: 65536 })),
      },
      { additionalProperties: false },
    ),
    /** Where the agent keeps its store-and-forward queue and state. */
    dataDir: Type.String({ minLength: 1, maxLength: 1024 }),
    locks: Type.Array(AgentLockConfigSchema, { maxItems: 64 }),
    /** Camera entries; their shape is owned by the agent's camera code for now. */
    cameras: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 32 })),
  },
  { $id: 'AgentConfig', additionalProperties: false },
);
export type AgentConfig = Static<typeof AgentConfigSchema>;
export type AgentLockConfig = Static<typeof AgentLockConfigSchema>;
export const agentConfigValidator = compile(AgentConfigSchema, 'KHOA_ERR_CONFIG_INVALID');
