/**
 * A fault scenario: one fault injected into a running system (real hub, real agents or
 * clients), and what it cost. The vitest file beside each scenario asserts the outcome
 * (nothing lost, nothing doubled, recovered); `npm run test:soak` runs the whole list in
 * `scenarios.ts` and writes the outcomes as a table in docs/soak-report.md.
 */
export interface FaultOutcome {
  /** What was injected, in a few words for the report's table ("SQLite file locked 3 s by another process"). */
  fault: string;
  /** Lock events (or other units, see `unit`) produced while the fault was on. */
  sent: number;
  /** Of those, stored in the hub exactly once. */
  stored: number;
  /** Sent but never stored. Goal: 0. */
  lost: number;
  /** Stored more than once. Goal: 0. */
  doubled: number;
  /** Alerts that the events should raise, and those raised (each once). */
  alertsExpected: number;
  alertsRaised: number;
  /** From the fault's end to the system being whole again (all stored, clients reconnected); null if it never was. */
  recoverySeconds: number | null;
  /** What `sent` counts, when it is not lock events ("alerts pushed", "frames"). */
  unit?: string;
  /** Anything the table should say besides the counts (what was refused, counted in which metric). */
  notes?: string;
}

export interface FaultScenario {
  /** Short id, the file's name without extension. */
  id: string;
  /** One line: the fault, as listed in issue 9 ("SQLite busy/locked"). */
  title: string;
  run(opts?: { progress?: (line: string) => void }): Promise<FaultOutcome>;
}
