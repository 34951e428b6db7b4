import { KhoaError } from '@khoa/protocol';

/** Whether a storage error is SQLite waiting out its busy_timeout for another process's write lock. */
export function isDatabaseBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

/**
 * The coded error (503, worth repeating in a moment) for a write that found another process
 * holding the SQLite lock past the hub's short busy_timeout; null for any other error.
 */
export function databaseBusyError(err: unknown): KhoaError | null {
  return isDatabaseBusy(err) ? new KhoaError('KHOA_ERR_STORAGE_BUSY', undefined, { retryAfterS: 1 }, { cause: err }) : null;
}
