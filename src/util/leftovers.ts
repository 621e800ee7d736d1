import { rmSync } from 'node:fs';

/** Paths being built right now that a finished or failed run removes (hidden build folders, temp packages). */
const pending = new Set<string>();

/**
 * Registers a path this process is building and will remove itself unless it completes;
 * returns the function that unregisters it. If the process has to exit before its own
 * clean-up runs (a second Ctrl-C), `removeLeftoversSync` removes what is still registered.
 */
export function trackLeftover(path: string): () => void {
  pending.add(path);
  return () => {
    pending.delete(path);
  };
}

/** Child processes (serve's workers) that must not outlive an exit that cannot wait for them. */
const processes = new Set<number>();

/** Registers a child process that `removeLeftoversSync` kills (SIGKILL); returns the function that unregisters it. */
export function trackLeftoverProcess(pid: number): () => void {
  processes.add(pid);
  return () => {
    processes.delete(pid);
  };
}

/** Removes every registered path and kills every registered process, synchronously (for an exit that cannot wait). Never throws. */
export function removeLeftoversSync(): void {
  for (const pid of processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
    processes.delete(pid);
  }
  for (const path of pending) {
    try {
      // A writer may still add a file while the folder is removed: retry ENOTEMPTY.
      rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 10 });
    } catch {
      // Best effort: the process is exiting anyway.
    }
    pending.delete(path);
  }
}
