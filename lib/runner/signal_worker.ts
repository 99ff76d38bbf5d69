/**
 * Listens for SIGINT/SIGTERM on its own thread, so a second signal ends the process even while
 * the main thread is busy in a long synchronous step (where its own listeners could not run).
 * Posts `{ signal, count }` to the main thread for every signal.
 */

/// <reference lib="deno.worker" />

const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
/** How long the main thread gets to exit by itself after a second signal. */
const GRACE_MS = 1000;
let count = 0;
for (const name of names) {
  Deno.addSignalListener(name, () => {
    count++;
    self.postMessage({ signal: name, count });
    if (count === 2) {
      console.error(`\nzerogrid: second ${name}; exiting now (uncommitted rows are discarded)`);
      // The main thread exits with 130 when it gets the message; a blocked one cannot, so the
      // process ends here. Committed rows are safe: every write is one transaction.
      setTimeout(() => Deno.kill(Deno.pid, "SIGKILL"), GRACE_MS);
    }
  });
}
self.postMessage({ ready: true });
