/** zerogrid CLI: `deno task <command>`; see `help` and README.md. */
import { ablateCommand } from "./lib/cli/ablate.ts";
import { exportCommand } from "./lib/cli/export.ts";
import { helpCommand } from "./lib/cli/help.ts";
import { mergeCommand } from "./lib/cli/merge.ts";
import { statusCommand } from "./lib/cli/status.ts";
import { exists } from "./lib/util/fs.ts";

type Command = (args: string[]) => Promise<number>;

/** A command implemented in its own module under lib/cli, loaded when used. */
function external(file: string, exported: string): Command {
  return async (args) => {
    const url = new URL(`./lib/cli/${file}`, import.meta.url);
    if (!(await exists(url.pathname))) {
      console.error(`zerogrid: this checkout has no lib/cli/${file} yet`);
      return 1;
    }
    const mod = await import(url.href);
    return (mod[exported] as Command)(args);
  };
}

const COMMANDS: Record<string, Command> = {
  ablate: ablateCommand,
  status: statusCommand,
  export: exportCommand,
  merge: mergeCommand,
  report: external("report.ts", "reportCommand"),
  replicate: external("replicate.ts", "replicateCommand"),
  help: helpCommand,
};

/** Dispatch `args[0]` to its command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h") return helpCommand();
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(
      `zerogrid: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}`,
    );
    return 2;
  }
  return await cmd(rest);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
