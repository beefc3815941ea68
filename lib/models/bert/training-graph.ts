/**
 * BERT's training steps as ONNX graphs for onnxruntime-node's native CPU kernels, built from the shared
 * layers of lib/onnx/training-layers (the GPT's, see ../gpt/training-graph): masked-LM pre-training and
 * classification fine-tuning. Graph inputs are the token ids, the task's targets and every parameter (named
 * as `BERT.namedParameters()` / `BertClassifier.namedParameters()` name them); outputs are the mean loss and
 * one gradient per parameter, `<name>.grad`. The formulas are those of the tfjs model (./model,
 * ./classifier), so both give the same loss and gradients to float32 rounding — a test checks it.
 *
 * The encoder is post-LN and bidirectional: every query sees every key but the padding ([PAD] ids get
 * −1e9 added to their scores, as the tfjs mask). With M = batch·T rows and e the summed embeddings:
 *
 *   e = E_word[ids] + E_pos[0…T−1] + E_seg[0]           dE_word += scatter-add of de at ids,
 *                                                        dE_pos[0…T−1] = Σ_batch de,  dE_seg[0] = Σ_rows de
 *   x₁ = LN₁(x + MHA(x)),  x₂ = LN₂(x₁ + MLP(x₁))          ds₂ = LN₂ᵀ(dx₂),  dx₁ = ds₂ + MLPᵀ(ds₂),
 *                                                        ds₁ = LN₁ᵀ(dx₁),  dx = ds₁ + MHAᵀ(ds₁)
 *   MLM: h = hidden[positions] (the P masked positions)  dhidden = scatter of dh at positions
 *        logits = LN(GELU(h·W_t + b_t))·E_wordᵀ + b      the tied table's gradient adds dlogitsᵀ·LN(…)
 *   classification: logits = tanh(h_[CLS]·W_p + b_p)·W_c + b_c      d(tanh) = 1 − tanh²
 *
 * Shapes are fixed per (batch, T), except the number of masked positions P, which each minibatch draws.
 */
import type * as Ort from "onnxruntime-node";
import { int64Feed, MASKED_SCORE, TrainingGraphBuilder, TrainingGraphSessions, type CompiledTrainingGraph, type LossAndGradients } from "../../onnx/training-layers";
import type { BertConfig } from "./config";

/** What a BERT training graph learns: masked-LM pre-training, or classification into `numLabels` classes from the [CLS] vector. */
export type BertTrainingTask = { kind: "mlm" } | { kind: "classification"; numLabels: number };

/**
 * The training graph of a BERT with `config` for minibatches of `batch` sequences of `length` tokens.
 * Inputs: `inputs` (int64 [batch, length], [PAD] = config.padId hidden from attention), the parameters, and
 * for masked-LM `positions` and `targets` (int64 [P]: flat positions b·length + t and their original ids;
 * the loss is the mean over them), for classification `labels` (int64 [batch]).
 */
export function buildBertTrainingGraph(config: BertConfig, task: BertTrainingTask, batch: number, length: number): CompiledTrainingGraph {
  const { vocabSize: V, maxPositions, typeVocabSize: S, layers, heads, width: d, mlpWidth: h, layerNormEpsilon: epsilon, padId } = config;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`buildBertTrainingGraph: batch must be an integer ≥ 1, got ${batch}`);
  if (!Number.isInteger(length) || length < 1 || length > maxPositions) throw new RangeError(`buildBertTrainingGraph: length must be an integer in 1…${maxPositions}, got ${length}`);
  if (task.kind === "classification" && (!Number.isInteger(task.numLabels) || task.numLabels < 2)) throw new RangeError(`buildBertTrainingGraph: numLabels must be an integer ≥ 2, got ${task.numLabels}`);
  const B = batch;
  const T = length;
  const M = B * T;
  const t = new TrainingGraphBuilder(`bert-${task.kind}-training-${B}x${T}`);
  const g = t.g;

  const inputs = g.input("inputs", "int64", [B, T]);
  const ids = g.reshape(inputs, [M]);

  // Embeddings and the padding mask.
  const wordTable = t.parameter("embeddings.word.table", [V, d]);
  const positionTable = t.parameter("embeddings.position.table", [maxPositions, d]);
  const segmentTable = t.parameter("embeddings.tokenType.table", [S, d]);
  const positions = T === maxPositions ? positionTable : g.slice(positionTable, [0], [T], [0]);
  const segment = g.slice(segmentTable, [0], [1], [0]);
  const summed = g.reshape(g.add(g.add(g.reshape(g.gather(wordTable, ids), [B, T, d]), positions), segment), [M, d]);
  const embeddingNorm = t.layerNorm(summed, "embeddings.norm", d, epsilon);
  const padding = g.unsqueeze(g.op("Equal", [inputs, g.ints([padId], true)]), [1, 2]); // [B, 1, 1, T]
  const mask = g.where(padding, g.scalar(MASKED_SCORE), g.scalar(0));
  const shape = { batch: B, length: T, heads, width: d };

  // Encoder layers, forward.
  let x = embeddingNorm.y;
  const saved = Array.from({ length: layers }, (_, layer) =>
    g.scope(`layer${layer}`, () => {
      const name = `layers.${layer}`;
      const attention = t.selfAttention(x, `${name}.attention`, shape, mask);
      const attentionNorm = t.layerNorm(g.add(x, attention.y), `${name}.attentionNorm`, d, epsilon);
      const fc = t.linear(attentionNorm.y, `${name}.mlp.fc`, d, h);
      const gelu = t.gelu(fc.y);
      const projection = t.linear(gelu.y, `${name}.mlp.projection`, h, d);
      const outputNorm = t.layerNorm(g.add(attentionNorm.y, projection.y), `${name}.outputNorm`, d, epsilon);
      x = outputNorm.y;
      return { name, attention, attentionNorm, fc, gelu, projection, outputNorm };
    }),
  );

  // The task's head, its loss, and the gradient of the last hidden states [M, d].
  let dx: string;
  if (task.kind === "mlm") {
    const maskedPositions = g.input("positions", "int64", ["predicted"]);
    const targets = g.input("targets", "int64", ["predicted"]);
    const transform = t.linear(g.gather(x, maskedPositions), "mlm.transform", d, d);
    const gelu = t.gelu(transform.y);
    const norm = t.layerNorm(gelu.y, "mlm.norm", d, epsilon);
    const outputBias = t.parameter("mlm.bias", [V]);
    const logits = t.gemm(norm.y, wordTable, 0, 1, outputBias);
    const dLogits = t.softmaxCrossEntropy(logits, targets, V, { dynamicRows: true });
    t.setGradient("mlm.bias", t.sumRows(dLogits));
    t.addGradient("embeddings.word.table", t.gemm(dLogits, norm.y, 1, 0));
    const dPicked = t.linearBackward(t.geluBackward(t.layerNormBackward(g.matMul(dLogits, wordTable), norm.saved, "mlm.norm"), gelu), transform);
    dx = t.scatterAddRows(maskedPositions, dPicked, M, d);
  } else {
    const labels = g.input("labels", "int64", [B]);
    const cls = g.reshape(g.slice(g.reshape(x, [B, T, d]), [0], [1], [1]), [B, d]);
    const pooler = t.linear(cls, "pooler", d, d);
    const pooled = g.op("Tanh", [pooler.y]);
    const classifier = t.linear(pooled, "classifier", d, task.numLabels);
    const dLogits = t.softmaxCrossEntropy(classifier.y, labels, task.numLabels, { rows: B });
    const dPooled = t.linearBackward(dLogits, classifier);
    const dCls = t.linearBackward(g.mul(dPooled, g.sub(g.scalar(1), g.mul(pooled, pooled))), pooler);
    // Only position 0 of each sequence feeds the head: the others' gradient is 0.
    dx = g.reshape(g.op("Pad", [g.reshape(dCls, [B, 1, d]), g.ints([0, 0, 0, 0, T - 1, 0])]), [M, d]);
  }

  // Encoder layers, backward.
  for (let layer = layers - 1; layer >= 0; layer--) {
    const s = saved[layer]!;
    dx = g.scope(`layer${layer}_grad`, () => {
      const dOutputSum = t.layerNormBackward(dx, s.outputNorm.saved, `${s.name}.outputNorm`);
      const dAttentionNormed = g.add(dOutputSum, t.linearBackward(t.geluBackward(t.linearBackward(dOutputSum, s.projection), s.gelu), s.fc));
      const dAttentionSum = t.layerNormBackward(dAttentionNormed, s.attentionNorm.saved, `${s.name}.attentionNorm`);
      return g.add(dAttentionSum, t.selfAttentionBackward(dAttentionSum, s.attention));
    });
  }
  const dSummed = t.layerNormBackward(dx, embeddingNorm.saved, "embeddings.norm");
  t.addGradient("embeddings.word.table", t.scatterAddRows(ids, dSummed, V, d));
  const dPositions = g.op("ReduceSum", [g.reshape(dSummed, [B, T, d]), g.ints([0])], { keepdims: 0 });
  t.setGradient("embeddings.position.table", T === maxPositions ? dPositions : g.op("Pad", [dPositions, g.ints([0, 0, maxPositions - T, 0])]));
  const dSegment = g.reshape(t.sumRows(dSummed), [1, d]);
  t.setGradient("embeddings.tokenType.table", S === 1 ? dSegment : g.op("Pad", [dSegment, g.ints([0, 0, S - 1, 0])]));
  return t.finish();
}

/**
 * Runs BERT's training graphs with onnxruntime-node, one session per (task, batch, T) built on first use
 * (a few hundred ms) and reused.
 */
export class BertTrainingRunner {
  readonly config: BertConfig;
  readonly threads: number;
  private readonly sessions: TrainingGraphSessions;

  constructor(config: BertConfig, threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`BERT: trainingThreads must be an integer ≥ 1, got ${threads}`);
    this.config = config;
    this.threads = threads;
    this.sessions = new TrainingGraphSessions("BERT training graph", threads, (key) => {
      const [task, batch, length] = JSON.parse(key) as [BertTrainingTask, number, number];
      return buildBertTrainingGraph(config, task, batch, length);
    });
  }

  private checkIds(inputs: Int32Array, batch: number, length: number): void {
    if (inputs.length !== batch * length) throw new RangeError(`BERT training graph: expected ${batch}×${length} input ids, got ${inputs.length}`);
  }

  /**
   * Masked-LM loss and gradients (every parameter of `BERT.namedParameters()`) for `batch` sequences of
   * `length` corrupted ids `inputs` (row by row), predicting the original ids `targets` at the flat
   * positions `positions` (b·length + t, distinct).
   */
  async mlmLossAndGradients(parameters: ReadonlyMap<string, Float32Array>, inputs: Int32Array, positions: Int32Array, targets: Int32Array, batch: number, length: number): Promise<LossAndGradients> {
    this.checkIds(inputs, batch, length);
    if (positions.length === 0 || positions.length !== targets.length) throw new RangeError(`BERT training graph: expected as many targets as masked positions (at least one), got ${positions.length} positions and ${targets.length} targets`);
    const seen = new Set<number>();
    for (const p of positions) {
      if (!Number.isInteger(p) || p < 0 || p >= batch * length || seen.has(p)) throw new RangeError(`BERT training graph: masked position ${p} is outside 0…${batch * length - 1} or repeated`);
      seen.add(p);
    }
    const feeds: Record<string, Ort.Tensor> = { inputs: int64Feed(inputs, [batch, length]), positions: int64Feed(positions, [positions.length]), targets: int64Feed(targets, [targets.length]) };
    return this.sessions.run(JSON.stringify([{ kind: "mlm" }, batch, length]), feeds, parameters);
  }

  /** Classification loss and gradients (every parameter of `BertClassifier.namedParameters()`) for `batch` sequences of `length` ids and their `labels`. */
  async classificationLossAndGradients(parameters: ReadonlyMap<string, Float32Array>, inputs: Int32Array, labels: Int32Array, numLabels: number, batch: number, length: number): Promise<LossAndGradients> {
    this.checkIds(inputs, batch, length);
    if (labels.length !== batch) throw new RangeError(`BERT training graph: expected ${batch} labels, got ${labels.length}`);
    for (const label of labels) if (!(label >= 0 && label < numLabels)) throw new RangeError(`BERT training graph: label ${label} is outside 0…${numLabels - 1}`);
    const feeds: Record<string, Ort.Tensor> = { inputs: int64Feed(inputs, [batch, length]), labels: int64Feed(labels, [batch]) };
    return this.sessions.run(JSON.stringify([{ kind: "classification", numLabels }, batch, length]), feeds, parameters);
  }

  /** Frees the sessions; a later call builds them again. */
  async dispose(): Promise<void> {
    await this.sessions.dispose();
  }
}
