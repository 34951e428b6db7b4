/**
 * Another process holding the hub's SQLite file: `node --import tsx sqlite-lock-holder.ts FILE MS`
 * takes the write lock (BEGIN EXCLUSIVE), prints `locked <epoch ms>`, holds it MS milliseconds,
 * commits and prints `released <epoch ms>`. A separate process, as `khoa` run by an admin or a
 * backup tool would be, so the hub's own event loop plays no part in when the lock ends.
 */
import Database from 'better-sqlite3';

const [file, ms] = process.argv.slice(2);
if (!file || !ms) throw new Error('usage: sqlite-lock-holder.ts FILE MS');
const db = new Database(file);
// The hub may be mid-write when we ask: wait for it rather than fail.
db.pragma('busy_timeout = 10000');
db.exec('BEGIN EXCLUSIVE');
process.stdout.write(`locked ${Date.now()}\n`);
setTimeout(() => {
  db.exec('COMMIT');
  process.stdout.write(`released ${Date.now()}\n`);
  db.close();
}, Number(ms));
