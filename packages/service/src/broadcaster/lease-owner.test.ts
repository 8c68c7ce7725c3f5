// Which lease holders may be taken over at once: only processes of this host that are gone.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isDeadLocalOwner } from './broadcaster.js';

describe('isDeadLocalOwner', () => {
  it('is true only for a process of this host that has exited', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    const pid = child.pid ?? 0;
    expect(isDeadLocalOwner(`${hostname()}:${pid}:abcd`)).toBe(false);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(isDeadLocalOwner(`${hostname()}:${pid}:abcd`)).toBe(true);
  });

  it('never takes over from this process, another host or a malformed owner', () => {
    expect(isDeadLocalOwner(`${hostname()}:${process.pid}:abcd`)).toBe(false);
    expect(isDeadLocalOwner('some-other-host:1:abcd')).toBe(false);
    expect(isDeadLocalOwner(`${hostname()}:not-a-pid:abcd`)).toBe(false);
    expect(isDeadLocalOwner('')).toBe(false);
  });
});
