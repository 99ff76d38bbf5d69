/** Graceful stop: the first SIGINT/SIGTERM aborts (jobs checkpoint and return); a second exits. */

/** Install the handlers; returns the signal to pass to the runner and a function to remove them. */
export function installStopSignals(
  onFirst: (signal: Deno.Signal) => void = (s) =>
    console.error(
      `\nzerogrid: ${s} received; stopping after running jobs checkpoint ` +
        "(send again to exit at once)",
    ),
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const names: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handlers = names.map((name) => {
    const handler = () => {
      if (controller.signal.aborted) {
        console.error(`\nzerogrid: second ${name}; exiting now (uncommitted rows are discarded)`);
        Deno.exit(130);
      }
      onFirst(name);
      controller.abort(new Error(`stopped by ${name}`));
    };
    Deno.addSignalListener(name, handler);
    return { name, handler };
  });
  return {
    signal: controller.signal,
    dispose() {
      for (const { name, handler } of handlers) Deno.removeSignalListener(name, handler);
    },
  };
}
