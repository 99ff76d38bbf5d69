/**
 * The job-kind registry the runner uses: `pretrain`, `instruct`, `sft`, `eval` (and `rl`,
 * registered by lib/train/rl). `TRAINER_OPTIONS` holds operational settings that do not change
 * any result (only how often a resumable checkpoint is written).
 */
import type { JobKind } from "../runner/kind.ts";
import { evalKind } from "./eval.ts";
import { instructKind } from "./instruct.ts";
import { pretrainKind } from "./pretrain.ts";
import { rlKind } from "./rl/kind.ts";
import { sftKind } from "./sft.ts";
import type { TrainerOptions } from "./supervised.ts";

/**
 * Checkpoint at most once a minute: state is a few MB, written through the store. Read losses back
 * every 8 supervised steps: one ~10 ms wait per 8 steps instead of per step.
 */
export const TRAINER_OPTIONS: TrainerOptions = { checkpointEverySeconds: 60, stepsPerReadback: 8 };

/** Every job kind, by name. */
export function jobKinds(options: TrainerOptions = TRAINER_OPTIONS): Map<string, JobKind> {
  const kinds = [
    pretrainKind(options),
    instructKind(options),
    sftKind(options),
    rlKind(options),
    evalKind(),
  ];
  return new Map(kinds.map((k) => [k.name, k]));
}
