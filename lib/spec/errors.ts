/** The typed error of spec parsing and grid expansion: every problem with its source position. */

/** One problem found in a spec, located in its file. */
export interface SpecIssue {
  file: string;
  /** 1-based; 0 when the problem has no single source line (e.g. a combination of axes). */
  line: number;
  column: number;
  /** Dotted key path inside the spec, e.g. `base.rl.loss` or `axes.rl.loss[1]`. */
  path: string;
  message: string;
}

/** Thrown when a spec is invalid; carries every issue found, not just the first. */
export class SpecError extends Error {
  readonly issues: SpecIssue[];

  constructor(issues: SpecIssue[]) {
    const sorted = [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
    super(formatIssues(sorted));
    this.name = "SpecError";
    this.issues = sorted;
  }

  /** One issue per line: `file:line:col: path: message`. */
  format(): string {
    return formatIssues(this.issues);
  }
}

/** Formats issues one per line, as compilers do, so editors can jump to them. */
export function formatIssues(issues: SpecIssue[]): string {
  return issues.map((i) => {
    const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
    return `${where}: ${i.path || "(root)"}: ${i.message}`;
  }).join("\n");
}
