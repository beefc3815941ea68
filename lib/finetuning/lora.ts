/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models") on the course's GPT,
 * written here rather than imported:
 *
 *   W' = W + (α/r)·B·A        W [out, in] frozen, A [r, in] random, B [out, r] zero, r ≪ min(in, out)
 *
 * in the paper's orientation (h = W·x). The course's Linear stores its weight the other way round,
 * [in, out] for y = x·W, so the adapter adds x·Aᵀ·Bᵀ·(α/r) to the layer's output and a merge adds
 * (α/r)·(B·A)ᵀ to the stored weight. B = 0 makes the adapted model start exactly as the base model; A is
 * drawn uniformly in ±1/√in (peft's default, Kaiming-uniform with a = √5) so that B's first gradients
 * (∂B = ∂y·(x·Aᵀ)·α/r) are not zero — and no larger than the base weights' own scale: a larger A makes every
 * step of B a larger change of W, and the model forgets faster. Only A and B train: the
 * base model's variables are marked non-trainable, which also spares their gradients (see frozenLinear in
 * lib/models/layers). The seeds' slide writes A ∈ ℝ^{d×r} and B ∈ ℝ^{r×d}: with those shapes B·A is r×r,
 * not d×d — the shapes are swapped there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../models/gpt/model";
import { variableFrom, type Linear } from "../models/layers";
import { Random } from "../random";

/** The projections of a GPT block an adapter can sit on (peft's `target_modules`). */
export const LORA_TARGETS = ["attention.wq", "attention.wk", "attention.wv", "attention.wo", "mlp.fc", "mlp.projection"] as const;

/** One of {@link LORA_TARGETS}. */
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** The projections adapted when a configuration names none: the attention's query and value, as the paper. */
export const LORA_DEFAULT_TARGETS: readonly LoraTarget[] = Object.freeze(["attention.wq", "attention.wv"] as const);

/** A LoRA configuration (peft's `LoraConfig(r, lora_alpha, target_modules)`). */
export interface LoraConfig {
  /** Rank r of B·A. */
  rank: number;
  /** α: the update is scaled by α/r, so changing r keeps about the same step size (default 2·r). */
  alpha?: number;
  /** Which projections of every block get an adapter (default: the attention's query and value, as the paper). */
  targets?: readonly LoraTarget[];
  /** Seed of A's initial values (default 0). */
  seed?: number;
}

/** A configuration with every default filled in. */
export interface ResolvedLoraConfig {
  rank: number;
  alpha: number;
  targets: LoraTarget[];
  seed: number;
}

/** Fills the defaults of a LoRA configuration and checks it; throws naming the bad field. */
export function loraConfig(config: LoraConfig): ResolvedLoraConfig {
  if (config === null || typeof config !== "object") throw new TypeError("LoRA: the configuration must be an object such as { rank: 8, alpha: 16 }");
  const { rank } = config;
  if (typeof rank !== "number" || !Number.isInteger(rank) || rank < 1) throw new RangeError(`LoRA: rank must be an integer ≥ 1, got ${String(rank)}`);
  const alpha = config.alpha ?? 2 * rank;
  if (typeof alpha !== "number" || !(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`LoRA: alpha must be a finite number > 0, got ${String(alpha)}`);
  const targets = [...(config.targets ?? LORA_DEFAULT_TARGETS)];
  if (targets.length === 0) throw new RangeError("LoRA: targets is empty: name at least one projection, e.g. [\"attention.wq\", \"attention.wv\"]");
  for (const target of targets) {
    if (!(LORA_TARGETS as readonly string[]).includes(target)) throw new RangeError(`LoRA: unknown target ${JSON.stringify(target)}; the GPT's projections are ${LORA_TARGETS.join(", ")}`);
  }
  if (new Set(targets).size !== targets.length) throw new RangeError(`LoRA: targets lists a projection twice: ${targets.join(", ")}`);
  return { rank, alpha, targets, seed: config.seed ?? 0 };
}

/** The Linear of block `block` named by `target`. */
function targetLinear(model: GPT, block: number, target: LoraTarget): Linear {
  const b = model.blocks[block]!;
  switch (target) {
    case "attention.wq":
      return b.attention.wq;
    case "attention.wk":
      return b.attention.wk;
    case "attention.wv":
      return b.attention.wv;
    case "attention.wo":
      return b.attention.wo;
    case "mlp.fc":
      return b.fc;
    case "mlp.projection":
      return b.projection;
  }
}

/** One adapted projection: its frozen Linear and the trainable A [r, in] and B [out, r]. */
export class LoraLayer {
  readonly name: string;
  readonly linear: Linear;
  readonly a: tf.Variable;
  readonly b: tf.Variable;
  /** α/r. */
  readonly scale: number;

  constructor(name: string, linear: Linear, rank: number, alpha: number, rng: Random) {
    const { inFeatures, outFeatures } = linear;
    if (rank > Math.min(inFeatures, outFeatures)) {
      throw new RangeError(`LoRA: rank ${rank} is larger than the layer ${name} (${outFeatures} × ${inFeatures}): B·A would not be low-rank; use rank ≤ ${Math.min(inFeatures, outFeatures)}`);
    }
    this.name = name;
    this.linear = linear;
    this.scale = alpha / rank;
    const bound = 1 / Math.sqrt(inFeatures);
    this.a = variableFrom(Float32Array.from({ length: rank * inFeatures }, () => (2 * rng.next() - 1) * bound), [rank, inFeatures]);
    this.b = variableFrom(new Float32Array(outFeatures * rank), [outFeatures, rank]);
  }

  /**
   * The adapter's contribution (α/r)·x·Aᵀ·Bᵀ for x [n, in] → [n, out]: the low-rank path, never the d×d
   * product. One op with its own gradient, so that every transpose is of a small matrix (A, B, or an
   * [n, r] product — never x or ∂y) and the scale multiplies [n, r] numbers, not [n, out]: with u = (α/r)·x·Aᵀ,
   *   ∂u = ∂y·B,   ∂B = (uᵀ·∂y)ᵀ,   ∂A = (α/r)·∂uᵀ·x,   ∂x = (α/r)·∂u·A.
   */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.op(x, this.a, this.b) as tf.Tensor2D;
  }

  private readonly op = tf.customGrad((...inputs) => {
    const [x, a, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const u = tf.mul(tf.matMul(x, tf.transpose(a)), this.scale);
    save([x, a, b, u]);
    return {
      value: tf.matMul(u, tf.transpose(b)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sa, sb, su] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const du = tf.mul(tf.matMul(dy as tf.Tensor2D, sb), this.scale);
        const dB = tf.transpose(tf.matMul(tf.transpose(su), dy as tf.Tensor2D));
        return [tf.matMul(du, sa), tf.matMul(tf.transpose(du), sx), dB];
      },
    };
  });

  /** The update in the Linear's [in, out] layout: (α/r)·(B·A)ᵀ, as a plain array. */
  deltaWeight(): Float32Array {
    const delta = tf.tidy(() => tf.mul(tf.transpose(tf.matMul(this.b, this.a)), this.scale));
    const values = delta.dataSync() as Float32Array;
    delta.dispose();
    return values;
  }

  /** Trainable numbers: r·(in + out). */
  get parameterCount(): number {
    return this.a.size + this.b.size;
  }

  dispose(): void {
    this.a.dispose();
    this.b.dispose();
  }
}

/** Counts in peft's `print_trainable_parameters` terms. */
export interface TrainableParameters {
  trainable: number;
  /** Every parameter of the model, adapters included (as peft counts them). */
  all: number;
}

/** peft's line: "trainable params: 8,192 || all params: 1,358,592 || trainable%: 0.6030". */
export function formatTrainableParameters({ trainable, all }: TrainableParameters): string {
  if (!Number.isInteger(trainable) || !Number.isInteger(all) || trainable < 0 || all < 1 || trainable > all) {
    throw new RangeError(`formatTrainableParameters: need integers 0 ≤ trainable ≤ all, all ≥ 1, got trainable ${trainable}, all ${all}`);
  }
  const n = (x: number) => x.toLocaleString("en-US");
  return `trainable params: ${n(trainable)} || all params: ${n(all)} || trainable%: ${((100 * trainable) / all).toFixed(4)}`;
}

/** What identifies the base model an adapter belongs to: its architecture and a checksum of its weights. */
export interface BaseModelSignature {
  vocabSize: number;
  blockSize: number;
  layers: number;
  width: number;
  mlpWidth: number;
  /** Σ |w|·(i mod 7 + 1) over the parameters in order: changes when any weight does. */
  checksum: number;
}

/** The signature of a model's current weights (see {@link BaseModelSignature}). */
export function baseModelSignature(model: GPT): BaseModelSignature {
  let checksum = 0;
  let i = 0;
  for (const [, variable] of model.namedParameters()) {
    for (const value of variable.dataSync() as Float32Array) checksum += Math.abs(value) * ((i++ % 7) + 1);
  }
  const { vocabSize, blockSize, layers, width, mlpWidth } = model.config;
  return { vocabSize, blockSize, layers, width, mlpWidth, checksum: Number(checksum.toPrecision(10)) };
}

const ADAPTER_FILE = "adapter.json";
const ADAPTER_WEIGHTS = "adapter.bin";

/**
 * A set of LoRA adapters attached to a GPT: the model's forward pass (training, evaluation, generation)
 * goes through them, the base variables are frozen. `merge()` folds them into the weights and detaches;
 * `detach()` removes them and unfreezes the base unchanged.
 */
export class LoraAdapters {
  readonly model: GPT;
  readonly config: ResolvedLoraConfig;
  readonly layers: LoraLayer[];
  readonly base: BaseModelSignature;
  private attached = true;

  private constructor(model: GPT, config: ResolvedLoraConfig, base: BaseModelSignature) {
    const rng = new Random(config.seed);
    this.model = model;
    this.config = config;
    this.base = base;
    for (const linear of model.blocks.flatMap((_, block) => config.targets.map((t) => targetLinear(model, block, t)))) {
      if (linear.adapter !== null) throw new Error(`LoRA: ${linear.name} already has an adapter: merge or detach the other adapters first`);
    }
    this.layers = model.blocks.flatMap((_, block) => config.targets.map((target) => new LoraLayer(`blocks.${block}.${target}`, targetLinear(model, block, target), config.rank, config.alpha, rng)));
    for (const [, variable] of model.namedParameters()) variable.trainable = false;
    for (const layer of this.layers) layer.linear.adapter = (x) => layer.forward(x);
  }

  /** Adapters on `model` (B = 0: the model's outputs do not change until they train). */
  static attach(model: GPT, config: LoraConfig): LoraAdapters {
    return new LoraAdapters(model, loraConfig(config), baseModelSignature(model));
  }

  /**
   * Adapters saved by {@link save}, attached to `model`; refuses a model other than the one they were
   * trained on (another architecture, or other weights).
   */
  static load(model: GPT, directory: string): LoraAdapters {
    const file = path.join(directory, ADAPTER_FILE);
    if (!fs.existsSync(file)) throw new Error(`LoRA: ${directory} holds no adapter (${ADAPTER_FILE} is missing)`);
    const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { config: ResolvedLoraConfig; base: BaseModelSignature; layers: { name: string; a: number[]; b: number[] }[] };
    const signature = baseModelSignature(model);
    const differences = (Object.keys(signature) as (keyof BaseModelSignature)[]).filter((key) => signature[key] !== manifest.base[key]);
    if (differences.length > 0) {
      const show = (s: BaseModelSignature) => differences.map((key) => `${key} ${s[key]}`).join(", ");
      throw new Error(`LoRA: this adapter was trained for another model (adapter: ${show(manifest.base)}; this model: ${show(signature)})`);
    }
    const adapters = new LoraAdapters(model, manifest.config, signature);
    const bytes = fs.readFileSync(path.join(directory, ADAPTER_WEIGHTS));
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    let offset = 0;
    for (const layer of adapters.layers) {
      for (const variable of [layer.a, layer.b]) {
        variable.assign(tf.tensor(values.slice(offset, offset + variable.size), variable.shape));
        offset += variable.size;
      }
    }
    if (offset !== values.length) throw new Error(`LoRA: ${ADAPTER_WEIGHTS} holds ${values.length} numbers, the adapters ${offset}`);
    return adapters;
  }

  /** Writes the adapters alone (config, base signature, A and B): a few kilobytes instead of the model. Returns the weights' bytes. */
  save(directory: string): number {
    this.checkAttached("save");
    fs.mkdirSync(directory, { recursive: true });
    const parts = this.layers.flatMap((layer) => [layer.a.dataSync() as Float32Array, layer.b.dataSync() as Float32Array]);
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    fs.writeFileSync(path.join(directory, ADAPTER_WEIGHTS), Buffer.from(all.buffer));
    const layers = this.layers.map((layer) => ({ name: layer.name, a: layer.a.shape, b: layer.b.shape }));
    fs.writeFileSync(path.join(directory, ADAPTER_FILE), `${JSON.stringify({ config: this.config, base: this.base, layers }, null, 2)}\n`);
    return all.byteLength;
  }

  private checkAttached(where: string): void {
    if (!this.attached) throw new Error(`LoRA.${where}: the adapters were merged or detached`);
  }

  /** The trainable variables (every A and B) with their names, for an optimiser. */
  namedParameters(): [string, tf.Variable][] {
    this.checkAttached("namedParameters");
    return this.layers.flatMap((layer): [string, tf.Variable][] => [
      [`${layer.name}.lora_A`, layer.a],
      [`${layer.name}.lora_B`, layer.b],
    ]);
  }

  /** Trainable (adapters) and all (base + adapters) parameters. */
  trainableParameters(): TrainableParameters {
    const trainable = this.layers.reduce((n, layer) => n + layer.parameterCount, 0);
    return { trainable, all: this.model.parameterCount + trainable };
  }

  /** Removes the adapters from the forward pass and unfreezes the base, disposing A and B. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    for (const layer of this.layers) {
      layer.linear.adapter = null;
      layer.dispose();
    }
    for (const [, variable] of this.model.namedParameters()) variable.trainable = true;
  }

  /** W ← W + (α/r)·(B·A)ᵀ in every adapted Linear, then {@link detach}: the plain model now computes what the adapted one did. */
  merge(): void {
    this.checkAttached("merge");
    for (const layer of this.layers) {
      const delta = layer.deltaWeight();
      tf.tidy(() => layer.linear.weight.assign(tf.add(layer.linear.weight, tf.tensor(delta, layer.linear.weight.shape))));
    }
    this.detach();
  }
}
