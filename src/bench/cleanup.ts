/**
 * Clean-up that must happen however a benchmark ends: normal exit, a thrown error, or SIGINT,
 * SIGTERM or SIGHUP. Child processes and network namespaces outlive their parent otherwise.
 * Actions run synchronously (nothing asynchronous runs after 'exit'), last registered first.
 */
const actions = new Set<() => void>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function runAll(): void {
  for (const a of [...actions].reverse()) {
    actions.delete(a);
    try {
      a();
    } catch {
      // One failed clean-up must not stop the others.
    }
  }
  unguard();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  // Die of the same signal, as if no handler had been installed.
  process.kill(process.pid, signal);
}

function guard(): void {
  process.on('exit', runAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function unguard(): void {
  process.off('exit', runAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Runs `action` if this process exits or is signalled before the returned function is called;
 * calling it withdraws the action (the caller has cleaned up itself).
 */
export function atExit(action: () => void): () => void {
  if (actions.size === 0) guard();
  actions.add(action);
  return () => {
    if (!actions.delete(action)) return;
    if (actions.size === 0) unguard();
  };
}
