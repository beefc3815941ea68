/**
 * The course's q8 quantizer for ONNX models (what transformers.js loads as `model_quantized.onnx`,
 * `dtype: "q8"`): weights stored as int8, activations quantized on the fly.
 *
 * Weights — symmetric int8 per channel: each output column of a MatMul weight (or each row of an embedding
 * table) gets its own scale s = max|w| / 127 and q = round(w / s) ∈ [−127, 127], zero point 0. One scale
 * per channel keeps a single large weight from crushing the resolution of every other channel.
 *
 * A MatMul x·W with a constant W becomes
 *
 *   (x_q, s_x, z_x) = DynamicQuantizeLinear(x)       uint8, per-tensor scale and zero point of this call
 *   y_int = MatMulInteger(x_q, W_q, z_x)              exact int32 sums of (x_q − z_x)·W_q
 *   y = Cast(y_int, float) · (s_x · s_W)              back to real units, one scale per output column
 *
 * A tied output head x·Eᵀ (MatMul of Transpose(E)) transposes the int8 table instead. An embedding lookup
 * Gather(E, ids) gathers int8 rows and their scales and multiplies them (the table is never
 * dequantized whole). One activation feeding several MatMuls (q, k, v) is quantized once.
 *
 * Stays float32: biases, LayerNorm γ/β, every initializer that is not a 2-D MatMul weight or Gather
 * table (listed in the report with the reason), and the activation×activation products of attention.
 */
import { onnx } from "onnx-proto";
import { nodeProto } from "./proto";
import { tensorByteLength, tensorProto, tensorValues } from "./tensor";
import { quantizeTensor } from "../quantization/quantizeTensor";

/** How one weight was stored. */
export interface QuantizedWeight {
  name: string;
  dims: number[];
  /** "columns": one scale per output column of x·W; "rows": one per row of a table (Gather, or x·Wᵀ). */
  channels: "columns" | "rows";
  bytesBefore: number;
  bytesAfter: number;
  /** Largest |w − s·q| over the weight: at most s/2 of its channel. */
  maxError: number;
}

/** What the quantizer did. */
export interface QuantizationReport {
  quantized: QuantizedWeight[];
  /** Float initializers left as they were, with the reason. */
  keptFloat: { name: string; dims: number[]; reason: string }[];
  /** MatMul nodes rewritten to MatMulInteger, Gather nodes rewritten to int8 lookups. */
  matMuls: number;
  gathers: number;
  /** Bytes of all initializers before and after. */
  initializerBytesBefore: number;
  initializerBytesAfter: number;
}

/**
 * Per-channel symmetric int8 numbers of a [rows, columns] matrix along `channels`: the course's absmax
 * quantizer (lib/quantization) with one scale per row or column.
 */
export function quantizeSymmetricInt8(values: Float32Array, rows: number, columns: number, channels: "rows" | "columns"): { q: Int8Array; scales: Float32Array; maxError: number } {
  if (values.length !== rows * columns) throw new RangeError(`quantizeSymmetricInt8: ${values.length} values are not ${rows}×${columns}`);
  const quantized = quantizeTensor(values, { method: "absmax", bits: 8, granularity: channels === "rows" ? "row" : "column" }, [rows, columns]);
  // An all-zero channel gets scale 1 (any scale represents it exactly), so the graph never holds a 0 scale.
  const scales = quantized.scales.map((s) => (s > 0 ? s : 1));
  const q = quantized.values;
  let maxError = 0;
  for (let i = 0; i < values.length; i++) {
    const s = scales[channels === "rows" ? Math.floor(i / columns) : i % columns]!;
    maxError = Math.max(maxError, Math.abs(values[i]! - s * q[i]!));
  }
  return { q, scales, maxError };
}

type Use = { node: onnx.INodeProto; input: number };

function attributeInt(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = (node.attribute ?? []).find((a) => a.name === name);
  return attribute?.i === undefined || attribute.i === null ? fallback : Number(attribute.i);
}

function attributeInts(node: onnx.INodeProto, name: string): number[] | null {
  const attribute = (node.attribute ?? []).find((a) => a.name === name);
  return attribute?.ints ? attribute.ints.map(Number) : null;
}

/**
 * The q8 version of `model` and a report of what was quantized. `model` is not modified. Options:
 * `minElements` leaves weights smaller than that in float32 (default 0: quantize every eligible one).
 */
export function quantizeModelQ8(model: onnx.IModelProto, options: { minElements?: number } = {}): { model: onnx.ModelProto; report: QuantizationReport } {
  const graph = model.graph;
  if (!graph) throw new Error("quantizeModelQ8: the model has no graph");
  const minElements = options.minElements ?? 0;
  const nodes = graph.node ?? [];
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const uses = new Map<string, Use[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((name, input) => {
      if (!uses.has(name)) uses.set(name, []);
      uses.get(name)!.push({ node, input });
    });
  }
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ""));
  const isTranspose2d = (node: onnx.INodeProto) => node.opType === "Transpose" && (attributeInts(node, "perm") ?? [1, 0]).join(",") === "1,0";

  // Decide, weight by weight, whether every use is one the rewrite handles and along which channels.
  const report: QuantizationReport = { quantized: [], keptFloat: [], matMuls: 0, gathers: 0, initializerBytesBefore: 0, initializerBytesAfter: 0 };
  const plans = new Map<string, "rows" | "columns">();
  for (const [name, tensor] of initializers) {
    report.initializerBytesBefore += tensorByteLength(tensor);
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
    const dims = (tensor.dims ?? []).map(Number);
    const keep = (reason: string) => report.keptFloat.push({ name, dims, reason });
    if (dims.length !== 2) {
      keep(dims.length < 2 ? "bias, scale or constant (fewer than 2 axes)" : `${dims.length}-D tensor`);
      continue;
    }
    if (dims[0]! * dims[1]! < minElements) {
      keep(`smaller than minElements = ${minElements}`);
      continue;
    }
    const kinds = new Set<string>();
    for (const use of uses.get(name) ?? []) {
      const op = use.node.opType;
      if (op === "MatMul" && use.input === 1) kinds.add("columns");
      else if (op === "Gather" && use.input === 0 && attributeInt(use.node, "axis", 0) === 0) kinds.add("rows");
      else if (isTranspose2d(use.node) && (uses.get(use.node.output![0]!) ?? []).every((u) => u.node.opType === "MatMul" && u.input === 1) && !graphOutputs.has(use.node.output![0]!)) kinds.add("rows");
      else kinds.add(`read by ${op} (input ${use.input})`);
    }
    if (graphOutputs.has(name)) kinds.add("a graph output");
    if (kinds.size === 0) keep("not used by any node");
    else if (kinds.size === 1 && (kinds.has("rows") || kinds.has("columns"))) plans.set(name, kinds.has("rows") ? "rows" : "columns");
    else keep([...kinds].filter((k) => k !== "rows" && k !== "columns").join(", ") || "used both as x·W and as a table");
  }

  // Quantize the planned weights.
  const newInitializers: onnx.TensorProto[] = [];
  const scaleOf = new Map<string, string>();
  const quantizedOf = new Map<string, string>();
  for (const tensor of graph.initializer ?? []) {
    const name = tensor.name ?? "";
    const channels = plans.get(name);
    if (channels === undefined) {
      newInitializers.push(tensor as onnx.TensorProto);
      continue;
    }
    const { dims, data } = tensorValues(tensor);
    const { q, scales, maxError } = quantizeSymmetricInt8(data as Float32Array, dims[0]!, dims[1]!, channels);
    const qName = `${name}_quantized`;
    const sName = `${name}_scale`;
    newInitializers.push(tensorProto(qName, q, dims), tensorProto(sName, scales, [scales.length]));
    quantizedOf.set(name, qName);
    scaleOf.set(name, sName);
    report.quantized.push({ name, dims, channels, bytesBefore: tensorByteLength(tensor), bytesAfter: q.byteLength + scales.byteLength, maxError });
  }
  const lastAxis = "q8_last_axis";
  newInitializers.push(tensorProto(lastAxis, new BigInt64Array([-1n]), [1]));

  // Rewrite the nodes in order (so the list stays topologically sorted).
  const rewritten: onnx.NodeProto[] = [];
  const dynamicQuantized = new Map<string, [string, string, string]>();
  const transposedInt8 = new Map<string, string>(); // Transpose output → (its int8 twin, the table's name)
  const transposedSource = new Map<string, string>();
  // Short names: in a small model, the names of the added nodes would otherwise weigh as much as a layer.
  let counter = 0;
  const fresh = (base: string) => `q8/${counter++}/${base}`;
  const quantizeActivation = (x: string): [string, string, string] => {
    let found = dynamicQuantized.get(x);
    if (!found) {
      found = [fresh("x_uint8"), fresh("x_scale"), fresh("x_zero_point")];
      rewritten.push(nodeProto("DynamicQuantizeLinear", [x], found, {}, ""));
      dynamicQuantized.set(x, found);
    }
    return found;
  };
  for (const node of nodes) {
    const inputs = node.input ?? [];
    const outputs = node.output ?? [];
    const label = node.name || outputs[0] || node.opType || "node";
    if (node.opType === "Transpose" && plans.get(inputs[0]!) === "rows") {
      const twin = fresh("transposed_int8");
      transposedInt8.set(outputs[0]!, twin);
      transposedSource.set(outputs[0]!, inputs[0]!);
      rewritten.push(nodeProto("Transpose", [quantizedOf.get(inputs[0]!)!], [twin], { perm: [1, 0] }, ""));
      continue;
    }
    const weight = node.opType === "MatMul" ? inputs[1]! : "";
    const table = plans.get(weight) === "columns" ? weight : transposedSource.get(weight);
    if (node.opType === "MatMul" && table !== undefined) {
      const [xq, xs, xz] = quantizeActivation(inputs[0]!);
      const wq = plans.get(weight) === "columns" ? quantizedOf.get(weight)! : transposedInt8.get(weight)!;
      const integer = fresh("int32");
      const real = fresh("float");
      const scale = fresh("scale");
      rewritten.push(
        nodeProto("MatMulInteger", [xq, wq, xz], [integer], {}, ""),
        nodeProto("Cast", [integer], [real], { to: onnx.TensorProto.DataType.FLOAT }, ""),
        nodeProto("Mul", [xs, scaleOf.get(table)!], [scale], {}, ""),
        nodeProto("Mul", [real, scale], [outputs[0]!], {}, label),
      );
      report.matMuls++;
      continue;
    }
    if (node.opType === "Gather" && plans.get(inputs[0]!) === "rows") {
      const rows = fresh("rows_int8");
      const rowScales = fresh("row_scales");
      const real = fresh("rows_float");
      const column = fresh("scale_column");
      rewritten.push(
        nodeProto("Gather", [quantizedOf.get(inputs[0]!)!, inputs[1]!], [rows], { axis: 0 }, ""),
        nodeProto("Gather", [scaleOf.get(inputs[0]!)!, inputs[1]!], [rowScales], { axis: 0 }, ""),
        nodeProto("Cast", [rows], [real], { to: onnx.TensorProto.DataType.FLOAT }, ""),
        nodeProto("Unsqueeze", [rowScales, lastAxis], [column], {}, ""),
        nodeProto("Mul", [real, column], [outputs[0]!], {}, label),
      );
      report.gathers++;
      continue;
    }
    rewritten.push(node as onnx.NodeProto);
  }
  report.initializerBytesAfter = newInitializers.reduce((total, t) => total + tensorByteLength(t), 0);

  const quantizedGraph = onnx.GraphProto.create({ ...graph, node: rewritten, initializer: newInitializers });
  const quantizedModel = onnx.ModelProto.create({
    ...model,
    graph: quantizedGraph,
    docString: `${model.docString ? `${model.docString} ` : ""}q8: int8 per-channel weights, DynamicQuantizeLinear + MatMulInteger (llm-course quantizer).`,
  });
  return { model: quantizedModel, report };
}
