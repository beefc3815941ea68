/**
 * The QLoRA idea (Dettmers et al. 2023) on the course's GPT: the frozen base is stored in int8 or int4
 * (lib/quantization, TP11) and only the LoRA adapters stay in fp32. Here the base is quantized and
 * decoded back ("simulated" quantization, as in TP11): the model computes with exactly the values an int4
 * base would give, and the report says what its storage would weigh. Gradients flow through the
 * dequantized weights to the adapters; the base never changes, so it is quantized once.
 */
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "../models/gpt/model";
import { describeScheme } from "../quantization/scheme";
import type { QuantizationScheme } from "../quantization/scheme";
import { quantizeWeights, type WeightsReport } from "../quantization/weights";

/** What quantizing the base did. */
export interface QuantizedBase {
  scheme: string;
  report: WeightsReport;
}

/**
 * Replaces every matrix of `model` (embeddings and projections; biases and LayerNorms stay fp32, as
 * libraries do) with its `scheme`-quantized, dequantized values, in place.
 */
export function quantizeBase(model: GPT, scheme: QuantizationScheme): QuantizedBase {
  const named = model.namedParameters();
  const params = Object.fromEntries(named.map(([name, variable]) => [name, { values: variable.dataSync() as Float32Array, shape: variable.shape }]));
  const { dequantized, report } = quantizeWeights(params, scheme);
  for (const [name, variable] of named) tf.tidy(() => variable.assign(tf.tensor(dequantized[name]!, variable.shape)));
  return { scheme: describeScheme(scheme), report };
}
