/** GRPO for zerogrid: the trainer, its policy/task interfaces, objective helpers, PTST, the kind. */
export {
  asRlConfig,
  type LossType,
  type PtstStage,
  type RlConfig,
  RlConfigError,
} from "./config.ts";
export { rlKind, runRl } from "./kind.ts";
export {
  completionMask,
  groupAdvantages,
  leftAlignedPositions,
  ObjectiveError,
  sequenceWeights,
} from "./objective.ts";
export type {
  GenerateRequest,
  LogprobModel,
  PolicyBatch,
  RecordLoss,
  RlPolicy,
  RlPrompt,
  RlSample,
  RlTask,
  StepOptions,
} from "./policy.ts";
export { type Schedule, schedule, stageAt } from "./ptst.ts";
export { rolloutMetrics, type Scored, scoreRollouts } from "./rollout.ts";
export { promptTokens, resolveTemplate, satRlTask, type VlmPromptInput } from "./task.ts";
export {
  decodeCheckpoint,
  encodeCheckpoint,
  type RlRunArgs,
  type RlRunResult,
  trainRl,
} from "./trainer.ts";
export {
  kvGenerate,
  recomputeGenerate,
  stopTokens,
  type VlmGenerate,
  vlmPolicy,
  type VlmPolicyOptions,
} from "./vlm_policy.ts";
