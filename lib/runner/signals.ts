/**
 * Graceful stop: the first SIGINT/SIGTERM aborts (jobs checkpoint and return); a second exits at
 * once. The signals are caught on a worker thread (see `signal_worker.ts`), so the second one
 * works even while a job blocks the main thread.
 */

/** What the signal worker posts. */
type WorkerMessage = { ready: true } | { signal: Deno.Signal; count: number };

/** Install the handlers; resolves to the signal to pass to the runner and a function to remove them. */
export async function installStopSignals(
  onFirst: (signal: Deno.Signal) => void = (s) =>
    console.error(
      `\nzerogrid: ${s} received; stopping after running jobs checkpoint ` +
        "(send again to exit at once)",
    ),
): Promise<{ signal: AbortSignal; dispose(): void }> {
  const controller = new AbortController();
  const worker = new Worker(new URL("./signal_worker.ts", import.meta.url).href, {
    type: "module",
  });
  // Until the worker listens, a signal keeps its default action (the process ends at once).
  await new Promise<void>((resolve, reject) => {
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`signal worker failed to start: ${e.message}`));
    };
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if ("ready" in e.data) resolve();
    };
  });
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    if ("ready" in e.data) return;
    if (e.data.count === 1) {
      onFirst(e.data.signal);
      controller.abort(new Error(`stopped by ${e.data.signal}`));
    } else {
      Deno.exit(130);
    }
  };
  return {
    signal: controller.signal,
    dispose() {
      worker.terminate();
    },
  };
}
