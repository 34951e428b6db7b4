/**
 * Every fault scenario, in the order the soak report lists them. A new scenario is one file
 * in this folder exporting a `FaultScenario`, added here, with its `*.test.ts` beside it.
 */
import type { FaultScenario } from './scenario.ts';
import { sqliteLocked } from './sqlite-locked.ts';
import { hubKilled } from './hub-killed.ts';
import { slowConsoleClient } from './slow-console-client.ts';
import { detectorWorkerCrash } from './detector-worker-crash.ts';
import { linkFlapping } from './link-flapping.ts';
import { brokerRestart } from './broker-restart.ts';
import { agentClockSkew } from './agent-clock-skew.ts';
import { agentDiskFull } from './agent-disk-full.ts';

export const scenarios: FaultScenario[] = [
  sqliteLocked,
  hubKilled,
  slowConsoleClient,
  detectorWorkerCrash,
  linkFlapping,
  brokerRestart,
  agentClockSkew,
  agentDiskFull,
];
