/** The human-readable plan of a job graph: jobs, the DAG and what is already done. */
import type { Job, JobGraph } from "./types.ts";

/** Prints the plan (`ablate --plan`): a summary, each job with its status, and the DAG as a tree. */
export function formatPlan(graph: JobGraph, doneIds: Set<string>): string {
  const lines: string[] = [];
  const done = graph.jobs.filter((j) => doneIds.has(j.id)).length;
  lines.push(
    `plan: ${graph.points.length} points, ${graph.jobs.length} jobs ` +
      `(${done} done, ${graph.jobs.length - done} to run); code version ${graph.codeVersion}`,
  );
  const kinds = [...new Set(graph.jobs.map((j) => j.kind))];
  for (const k of kinds) {
    const of = graph.jobs.filter((j) => j.kind === k);
    const d = of.filter((j) => doneIds.has(j.id)).length;
    lines.push(`  ${k.padEnd(9)} ${String(of.length).padStart(5)} jobs, ${d} done`);
  }

  lines.push("", "jobs:");
  const kindWidth = Math.max(4, ...graph.jobs.map((j) => j.kind.length));
  for (const j of graph.jobs) {
    const inputs = Object.entries(j.inputs).map(([r, id]) => `${r}=${id}`).join(" ");
    lines.push(
      `  ${doneIds.has(j.id) ? "done" : "todo"}  ${j.id}  ${j.kind.padEnd(kindWidth)}  ${j.label}` +
        (inputs ? `  <- ${inputs}` : ""),
    );
  }

  // Each job has at most one input per role, so walking consumers from the roots draws the DAG;
  // a job with several inputs is drawn under each and marked as seen after the first.
  const consumers = new Map<string, Job[]>();
  for (const j of graph.jobs) {
    for (const id of Object.values(j.inputs)) {
      if (!consumers.has(id)) consumers.set(id, []);
      consumers.get(id)!.push(j);
    }
  }
  lines.push("", "dag:");
  const drawn = new Set<string>();
  const draw = (j: Job, prefix: string, last: boolean, root: boolean) => {
    const mark = doneIds.has(j.id) ? "[x]" : "[ ]";
    const branch = root ? "" : last ? "└─ " : "├─ ";
    const again = drawn.has(j.id) ? " (see above)" : "";
    lines.push(`  ${prefix}${branch}${mark} ${j.id} ${j.label}${again}`);
    if (again) return;
    drawn.add(j.id);
    const kids = consumers.get(j.id) ?? [];
    const childPrefix = root ? prefix : prefix + (last ? "   " : "│  ");
    kids.forEach((k, i) => draw(k, childPrefix, i === kids.length - 1, false));
  };
  for (const j of graph.jobs) if (Object.keys(j.inputs).length === 0) draw(j, "", true, true);
  return lines.join("\n");
}
