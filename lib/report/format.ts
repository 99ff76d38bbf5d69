/** Number and text formatting shared by the Markdown and LaTeX writers. */
import type { ConfigValue } from "../spec/types.ts";

/** Decimal places for a value of this magnitude (3 significant digits, at most 3 decimals). */
export function decimalsFor(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a) || a === 0) return 1;
  if (a >= 100) return 0;
  if (a >= 10) return 1;
  if (a >= 1) return 2;
  return 3;
}

/** Formats a number at fixed decimals, with a true minus sign avoided for plain ASCII output. */
export function fixed(x: number, decimals: number): string {
  const s = x.toFixed(decimals);
  return s === `-${(0).toFixed(decimals)}` ? (0).toFixed(decimals) : s;
}

/** Renders an axis value for a label: strings bare, booleans on/off style kept literal. */
export function showValue(v: ConfigValue | undefined): string {
  if (v === undefined) return "—";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Escapes text for a Markdown table cell. */
export function mdEscape(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** Escapes text for LaTeX. */
export function texEscape(s: string): string {
  return s
    .replaceAll("\\", "\\textbackslash{}")
    .replace(/([&%$#_{}])/g, "\\$1")
    .replaceAll("~", "\\textasciitilde{}")
    .replaceAll("^", "\\textasciicircum{}")
    .replaceAll("—", "---")
    .replaceAll("±", "$\\pm$")
    .replaceAll("×", "$\\times$");
}
