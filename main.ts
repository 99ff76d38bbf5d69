/** zerogrid CLI: `deno task <command>`; see `help` and README.md. */
import { ablateCommand } from "./lib/cli/ablate.ts";
import { exportCommand } from "./lib/cli/export.ts";
import { helpCommand } from "./lib/cli/help.ts";
import { mergeCommand } from "./lib/cli/merge.ts";
import { replicateCommand } from "./lib/cli/replicate.ts";
import { reportCommand } from "./lib/cli/report.ts";
import { statusCommand } from "./lib/cli/status.ts";

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  ablate: ablateCommand,
  status: statusCommand,
  export: exportCommand,
  merge: mergeCommand,
  report: reportCommand,
  replicate: replicateCommand,
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
