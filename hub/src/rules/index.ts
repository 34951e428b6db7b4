import type { Rule } from './types.ts';
import { doorForced } from './door-forced.ts';
import { doorOpenArmed } from './door-open-armed.ts';
import { tamper } from './tamper.ts';
import { lockOpenNight } from './lock-open-night.ts';
import { keypadFailures } from './keypad-failures.ts';
import { lowBattery } from './low-battery.ts';
import { jammed } from './jammed.ts';
import { cameraLost } from './camera-lost.ts';
import { cameraBlinded } from './camera-blinded.ts';
import { agentOffline } from './agent-offline.ts';
import { sos } from './sos.ts';

/** Every alert rule. A new rule is one file in this folder plus one line here. */
export const rules: readonly Rule[] = [doorForced, doorOpenArmed, tamper, lockOpenNight, keypadFailures, lowBattery, jammed, cameraLost, cameraBlinded, agentOffline, sos];

export { RuleEngine } from './engine.ts';
export type { Rule, RuleContext, RuleInput } from './types.ts';
