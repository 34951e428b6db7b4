import type { AlertKind } from '../domain.ts';
import type { LockEventType } from '../messages/lock-event.ts';

/**
 * What the hub knows about an alert it raised, stored as JSON in the alert's `detail` so the
 * pages can put it into words in the reader's language (`facts.{kind}` in their dictionaries);
 * a sentence written by the hub would be English in a Vietnamese console. Tips and notes stay
 * free text, and a page shows any detail it cannot parse as it is.
 */
export interface AlertFacts {
  lock?: string;
  camera?: string;
  battery?: number;
  failures?: number;
  minutes?: number;
  /** The lock event that raised it (door_open_armed). */
  event?: LockEventType;
  /** What was insecure at night, and since when (ms since the epoch). */
  state?: 'unlocked' | 'door_open';
  since?: number;
  /** A camera's own words for its failure (ffmpeg, ONVIF), technical, shown as they are. */
  reason?: string;
  /** Raised by a person, not a device: from the household page, by this account, with its note. */
  via?: 'household_page';
  user?: string;
  note?: string;
  /** Person detection: median score, box in source pixels, track. */
  score?: number;
  box?: number[];
  trackId?: number;
}

/** Kinds whose alerts the hub raises with facts; the pages have a `facts.{kind}` text for each. */
export const FACT_KINDS = ['door_forced', 'door_open_armed', 'tamper', 'lock_open_night', 'keypad_failures', 'low_battery', 'jammed', 'camera_lost', 'camera_blinded', 'agent_offline', 'sos'] as const satisfies readonly AlertKind[];

export function factsDetail(facts: AlertFacts): string {
  return JSON.stringify(facts);
}

/** The facts in a detail, or null for free text (tips, alerts stored before facts existed). */
export function parseFacts(detail: string | null | undefined): AlertFacts | null {
  if (!detail || detail[0] !== '{') return null;
  try {
    const v: unknown = JSON.parse(detail);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as AlertFacts) : null;
  } catch {
    return null;
  }
}
