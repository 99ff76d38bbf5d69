/** The verdict table of a spec's claims, as Markdown, LaTeX and plain text for the terminal. */
import { mdEscape, texEscape } from "../report/format.ts";
import type { ClaimVerdict } from "./evaluate.ts";

function num(x: number | null): string {
  if (x === null) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? x.toPrecision(4).replace(/\.?0+$/, "") : x.toExponential(2);
}

function pval(p: number | null): string {
  if (p === null) return "—";
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

const HEADER = [
  "claim",
  "statement",
  "estimate",
  "interval",
  "p",
  "adj. p",
  "α",
  "verdict",
  "seeds",
  "test",
];

function cells(v: ClaimVerdict): string[] {
  const conf = `${Math.round(v.intervalConfidence * 1000) / 10}%`;
  return [
    v.claim.name,
    v.statement,
    num(v.estimate),
    v.lo === null || v.hi === null ? "—" : `[${num(v.lo)}, ${num(v.hi)}] (${conf})`,
    pval(v.p),
    pval(v.pAdjusted),
    String(v.claim.alpha),
    v.verdict === "untestable" ? `untestable: ${v.problem}` : v.verdict,
    v.n,
    v.method,
  ];
}

const NOTE = "p: one-sided test (TOST for equivalence) across seeds; adj. p: Holm-Bonferroni " +
  "across all claims of the spec, compared with each claim's α. Intervals are two-sided at " +
  "1 − 2α, the interval that matches the one-sided test at α before correction.";

/** The verdict table in Markdown. */
export function verdictMarkdown(verdicts: ClaimVerdict[]): string {
  const line = (c: string[]) => `| ${c.map(mdEscape).join(" | ")} |`;
  return [
    `*${NOTE}*`,
    "",
    line(HEADER),
    `|${HEADER.map(() => "---").join("|")}|`,
    ...verdicts.map((v) => {
      const c = cells(v);
      c[7] = v.verdict === "holds" ? "**holds**" : `**${c[7].toUpperCase()}**`;
      return line(c);
    }),
    "",
  ].join("\n");
}

/** The verdict table as a LaTeX booktabs table. */
export function verdictLatex(verdicts: ClaimVerdict[], label: string): string {
  const cols = [0, 2, 3, 4, 5, 6, 7];
  return [
    "% Requires \\usepackage{booktabs}.",
    "\\begin{table}[t]",
    "\\centering",
    `\\caption{${texEscape(NOTE)}}`,
    `\\label{tab:${label}}`,
    `\\begin{tabular}{lrrrrrl}`,
    "\\toprule",
    `${cols.map((i) => texEscape(HEADER[i])).join(" & ")} \\\\`,
    "\\midrule",
    ...verdicts.map((v) => {
      const c = cells(v);
      return `${cols.map((i) => texEscape(c[i])).join(" & ")} \\\\`;
    }),
    "\\bottomrule",
    "\\end{tabular}",
    "\\end{table}",
    "",
  ].join("\n");
}

/** The verdict table as aligned plain text, for the terminal. */
export function verdictText(verdicts: ClaimVerdict[]): string {
  const head = ["claim", "estimate", "interval", "p", "adj. p", "α", "verdict"];
  const rows = verdicts.map((v) => {
    const c = cells(v);
    return [
      c[0],
      c[2],
      c[3],
      c[4],
      c[5],
      c[6],
      v.verdict === "untestable" ? c[7] : v.verdict.toUpperCase(),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const held = verdicts.filter((v) => v.verdict === "holds").length;
  return [
    fmt(head),
    fmt(widths.map((w) => "-".repeat(w))),
    ...rows.map(fmt),
    "",
    ...verdicts.map((v) => `${v.claim.name}: ${v.statement}  [${v.n}; ${v.method}]`),
    "",
    `${held}/${verdicts.length} claims hold. ${NOTE}`,
  ].join("\n");
}
