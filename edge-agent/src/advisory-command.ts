import { spawn } from 'node:child_process';
import { KhoaError, type CommandPayloads } from '@khoa/protocol';

/**
 * An `onAdvisory` hook that hands each advisory to a local program (a text-to-speech engine on
 * the Pi's speaker, a display), as text on its standard input: the title, a blank line, the
 * body. The advisory counts as delivered when the program exits 0; a program that hangs is
 * killed after `timeoutMs` so one stuck speaker cannot block the next advisory forever.
 */
export function advisoryCommand(argv: readonly string[], timeoutMs = 5 * 60_000): (a: CommandPayloads['advisory']) => Promise<void> {
  const [file, ...args] = argv;
  if (!file) throw new KhoaError('KHOA_ERR_CONFIG_INVALID', 'advisory command is empty', { setting: 'advisory-command' });
  return (a) =>
    new Promise<void>((resolve, reject) => {
      const env = { ...process.env, KHOA_ADVISORY_ID: a.advisoryId, KHOA_ADVISORY_LANG: a.lang ?? '' };
      const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'ignore'], env });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        // Plain errors: the catalogue has no code for a local helper program, and the message
        // (which goes into the reply to the hub) says what happened.
        reject(new Error(`advisory command failed: ${err.message}`, { cause: err }));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`advisory command exited with ${signal ?? code}`));
      });
      // A program that does not read its input must not crash the agent with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(`${a.title}\n\n${a.body}\n`);
    });
}
