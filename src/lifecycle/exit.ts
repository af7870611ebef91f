/**
 * `process.exit()` (docs/lifecycle.md): Node runs only synchronous code in `'exit'`, so whatever
 * can be saved synchronously is written there. Writers register here; one `'exit'` listener runs
 * them all, each isolated. Today: the LOGGING metric reporter's current interval (written with
 * appendFileSync / writeSync). OTLP export is asynchronous and cannot run here: apps that exit
 * with process.exit() call `await agent.shutdown()` first.
 */
let writers: Set<() => void> | undefined;

/** Runs `write` synchronously when the process exits; returns the function that unregisters it. */
export function onExitSync(write: () => void): () => void {
  if (!writers) {
    writers = new Set();
    const all = writers;
    process.on('exit', () => {
      for (const writer of [...all]) {
        try {
          writer();
        } catch {
          // nothing can be reported any more; the next writer still runs
        }
      }
    });
  }
  const registered = writers;
  registered.add(write);
  return () => {
    registered.delete(write);
  };
}
