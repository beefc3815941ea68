/**
 * Fine-tuning a chosen subset of a GPT's parameters with tfjs autograd, so that every method of the lesson
 * (full fine-tuning, the output head only, LoRA adapters) runs through the same step and is measured the
 * same way. The variables outside the subset are marked non-trainable: autograd neither keeps nor computes
 * their gradients, and AdamW holds moments (2 numbers per parameter) for the subset only — which is where
 * parameter-efficient fine-tuning saves memory.
 *
 * The model's own `trainStep` (onnxruntime's compiled step) trains every parameter; this trainer exists
 * for the subsets, and runs full fine-tuning too so that the comparison uses one engine.
 */
import * as tf from "@tensorflow/tfjs";
import { weightedRowsBatch, type WeightedRowsDataset } from "../data/weighted-rows";
import type { GPT } from "../models/gpt/model";
import { AdamW, type AdamWOptions } from "../models/optim";
import type { Trainable } from "../training/trainable";
import { formatTrainableParameters, LORA_DEFAULT_TARGETS, LORA_TARGETS, LoraAdapters, loraConfig, type LoraConfig, type TrainableParameters } from "./lora";

/** Which parameters a fine-tuning trains. */
export type FineTuningMethod =
  | { kind: "full" }
  /** The output head: the final LayerNorm and the output matrix — with tied embeddings, the token table itself. */
  | { kind: "head" }
  | { kind: "lora"; lora: LoraConfig };

/** A short label for tables: "full", "head only", "LoRA r=8" (default targets W_Q, W_V), "LoRA r=8 (all linear)". */
export function methodLabel(method: FineTuningMethod): string {
  if (method.kind === "full") return "full";
  if (method.kind === "head") return "head only";
  const { rank, targets } = loraConfig(method.lora);
  const isDefault = targets.length === LORA_DEFAULT_TARGETS.length && LORA_DEFAULT_TARGETS.every((t) => targets.includes(t));
  const where = isDefault ? "" : targets.length === LORA_TARGETS.length ? " (all linear)" : ` (${targets.join(", ")})`;
  return `LoRA r=${rank}${where}`;
}

/** Bytes of AdamW's state for `parameters` trained numbers: two fp32 moments (m and v) each. */
export function adamStateBytes(parameters: number): number {
  return 2 * 4 * parameters;
}

/**
 * A {@link Trainable} over weighted rows (SFT data, lib/chat/sft) that updates only `parameters` of
 * `model` with AdamW; `evaluate` is the model's weighted loss.
 */
export class SubsetTrainer implements Trainable<WeightedRowsDataset> {
  readonly model: GPT;
  readonly parameters: [string, tf.Variable][];
  private readonly optimizer: AdamW;

  constructor(model: GPT, parameters: [string, tf.Variable][], optimizer: AdamWOptions = {}) {
    if (parameters.length === 0) throw new RangeError("SubsetTrainer: no parameters to train");
    const frozen = parameters.filter(([, variable]) => !variable.trainable).map(([name]) => name);
    if (frozen.length > 0) throw new Error(`SubsetTrainer: ${frozen.slice(0, 3).join(", ")} ${frozen.length > 3 ? `and ${frozen.length - 3} more ` : ""}are frozen (non-trainable)`);
    this.model = model;
    this.parameters = parameters;
    this.optimizer = new AdamW(parameters, { ...model.optimizerOptions, ...optimizer });
  }

  /** Numbers the optimiser updates. */
  get trainableCount(): number {
    return this.parameters.reduce((n, [, variable]) => n + variable.size, 0);
  }

  /** One AdamW step on the trained parameters down the gradient of `loss` (built inside); returns the loss before the update. */
  minimize(loss: () => tf.Scalar, lr: number): number {
    const value = tf.tidy(() => {
      const { value: v, grads } = tf.variableGrads(loss, this.optimizer.variables);
      this.optimizer.apply(grads, lr);
      return v;
    });
    const result = value.dataSync()[0]!;
    value.dispose();
    return result;
  }

  trainStep(data: WeightedRowsDataset, indices: Int32Array, lr: number): number {
    if (data.blockSize > this.model.config.blockSize) throw new RangeError(`SubsetTrainer: rows of ${data.blockSize} tokens are longer than the context (${this.model.config.blockSize})`);
    const { inputs, targets, weights } = weightedRowsBatch(data, indices);
    const shape: [number, number] = [indices.length, data.blockSize];
    return this.minimize(() => this.model.loss(tf.tensor2d(inputs, shape, "int32"), tf.tensor2d(targets, shape, "int32"), tf.tensor2d(weights, shape, "float32")), lr);
  }

  evaluate(data: WeightedRowsDataset): number {
    return this.model.evaluate(data);
  }

  /** Frees the optimiser's moments (not the parameters). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** A model prepared for one fine-tuning method: its trainer, its adapters (LoRA) and the counts. */
export interface FineTuningSetup {
  method: FineTuningMethod;
  trainer: SubsetTrainer;
  /** The adapters for LoRA, null otherwise. */
  adapters: LoraAdapters | null;
  parameters: TrainableParameters;
  /** peft's `print_trainable_parameters` line. */
  summary: string;
  /** AdamW's moments for the trained parameters, in bytes. */
  optimizerStateBytes: number;
  /** Frees the optimiser and unfreezes the model (adapters stay attached: merge or detach them). */
  release(): void;
}

/** Freezes what `method` does not train and returns the trainer of the rest (adapters attached for LoRA). */
export function prepareFineTuning(model: GPT, method: FineTuningMethod, optimizer: AdamWOptions = {}): FineTuningSetup {
  let adapters: LoraAdapters | null = null;
  let trained: [string, tf.Variable][];
  const all = model.namedParameters();
  if (method.kind === "lora") {
    adapters = LoraAdapters.attach(model, method.lora);
    trained = adapters.namedParameters();
  } else if (method.kind === "head" || method.kind === "full") {
    const isHead = (name: string) => name.startsWith("finalNorm.") || name.startsWith("head.") || (model.config.tiedEmbeddings && name === "tokenEmbedding.table");
    trained = method.kind === "full" ? all : all.filter(([name]) => isHead(name));
    const keep = new Set(trained.map(([, v]) => v));
    for (const [, variable] of all) variable.trainable = keep.has(variable);
  } else {
    throw new RangeError(`prepareFineTuning: unknown method ${JSON.stringify(method)}; use { kind: "full" }, { kind: "head" } or { kind: "lora", lora: { rank: 8 } }`);
  }
  const trainer = new SubsetTrainer(model, trained, optimizer);
  const parameters: TrainableParameters = adapters ? adapters.trainableParameters() : { trainable: trainer.trainableCount, all: model.parameterCount };
  return {
    method,
    trainer,
    adapters,
    parameters,
    summary: formatTrainableParameters(parameters),
    optimizerStateBytes: adamStateBytes(parameters.trainable),
    release: () => {
      trainer.dispose();
      if (adapters === null) for (const [, variable] of all) variable.trainable = true;
    },
  };
}
