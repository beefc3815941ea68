/**
 * A small ONNX graph builder: declare inputs with symbolic dimensions, add initializers from typed arrays,
 * chain operators by the names of their results, declare outputs, and get the `.onnx` bytes.
 *
 *   const g = new GraphBuilder("linear-softmax");
 *   const x = g.input("x", "float32", ["batch", 3]);
 *   const w = g.initializer("W", new Float32Array([...]), [3, 2]);
 *   g.softmax(g.add(g.matMul(x, w), g.initializer("b", new Float32Array([0.1, -0.1]), [2])), -1, "y");
 *   g.output("y", "float32", ["batch", 2]);
 *   fs.writeFileSync("model.onnx", g.toBytes());
 *
 * Every value has one producer (a graph input, an initializer or one node), and a node may only read
 * values that already exist, so the node list is in topological order as ONNX requires and a misspelt
 * name fails here, naming the node, rather than inside onnxruntime.
 */
import { onnx } from "onnx-proto";
import { encodeModel, float, modelProto, nodeProto, valueInfoProto, type AttributeValue, type Dim, type ModelMetadata } from "./proto";
import { ONNX_DATA_TYPE, tensorProto, type ElementType, type TensorData } from "./tensor";

/** Options of {@link GraphBuilder.node}. */
export interface NodeOptions {
  /** Names of the results, or how many fresh names to make (default 1). */
  outputs?: number | readonly string[];
  /** The node's name (default: its first output's). */
  name?: string;
  /** Operator domain (default "", the standard one). */
  domain?: string;
}

/** Builds one ONNX graph, node by node; see the module comment for an example. */
export class GraphBuilder {
  readonly name: string;
  private readonly inputs: onnx.ValueInfoProto[] = [];
  private readonly outputs: onnx.ValueInfoProto[] = [];
  private readonly initializers: onnx.TensorProto[] = [];
  private readonly nodes: onnx.NodeProto[] = [];
  private readonly defined = new Set<string>();
  private readonly constants = new Map<string, string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  constructor(name: string) {
    if (typeof name !== "string" || name.length === 0) throw new TypeError("GraphBuilder: the graph needs a non-empty name");
    this.name = name;
  }

  private define(name: string, what: string): string {
    if (typeof name !== "string" || name.length === 0) throw new TypeError(`GraphBuilder ${this.name}: ${what} needs a non-empty name`);
    if (this.defined.has(name)) throw new Error(`GraphBuilder ${this.name}: ${what} ${JSON.stringify(name)} is already defined (every value has one producer)`);
    this.defined.add(name);
    return name;
  }

  /** True when a value of this name exists (input, initializer or node result). */
  has(name: string): boolean {
    return this.defined.has(name);
  }

  /** A name not used yet, prefixed by the current scope: "blocks.0/MatMul_12". */
  fresh(base: string): string {
    const prefix = this.scopes.length > 0 ? `${this.scopes.join("/")}/` : "";
    let name: string;
    do name = `${prefix}${base}_${this.counter++}`;
    while (this.defined.has(name));
    return name;
  }

  /** Runs `build` with `scope` added to the fresh names it makes (nested scopes join with "/"); returns what `build` returns. */
  scope<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** Declares a graph input; dims are sizes or names of run-time sizes ("batch_size"). Returns its name. */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfoProto(name, type, dims));
    return this.define(name, "input");
  }

  /** Declares a graph output: an existing value, with its type and (possibly symbolic) shape. */
  output(name: string, type: ElementType, dims: readonly Dim[]): void {
    if (!this.defined.has(name)) throw new Error(`GraphBuilder ${this.name}: output ${JSON.stringify(name)} is not produced by any node`);
    if (this.outputs.some((o) => o.name === name)) throw new Error(`GraphBuilder ${this.name}: output ${JSON.stringify(name)} is declared twice`);
    this.outputs.push(valueInfoProto(name, type, dims));
  }

  /** A constant tensor stored in the file (a weight); `type: "bool"` marks a Uint8Array of 0/1. Returns its name. */
  initializer(name: string, data: TensorData, dims: readonly number[], type?: ElementType): string {
    const proto = tensorProto(name, data, dims, type);
    this.define(name, "initializer");
    this.initializers.push(proto);
    return name;
  }

  private cachedConstant(key: string, make: (name: string) => string): string {
    const existing = this.constants.get(key);
    if (existing !== undefined) return existing;
    const name = make(this.fresh("const"));
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant (shared between uses of the same value). */
  scalar(value: number): string {
    return this.cachedConstant(`f:${value}`, (name) => this.initializer(name, new Float32Array([value]), []));
  }

  /** An int64 constant: a 1-D list, or a scalar when `scalar` is true (shared between uses). */
  ints(values: readonly number[], scalar = false): string {
    values.forEach((v, i) => {
      if (!Number.isSafeInteger(v)) throw new RangeError(`GraphBuilder ${this.name}: ints[${i}] = ${v} is not an integer`);
    });
    if (scalar && values.length !== 1) throw new RangeError(`GraphBuilder ${this.name}: a scalar int constant needs exactly one value, got ${values.length}`);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.cachedConstant(`i${scalar ? "s" : ""}:${values.join(",")}`, (name) => this.initializer(name, data, scalar ? [] : [values.length]));
  }

  /**
   * Adds a node `opType(inputs)` and returns the names of its results. Inputs must exist already ("" skips
   * an optional input); outputs are fresh names unless given.
   */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, options: NodeOptions = {}): string[] {
    inputs.forEach((input, i) => {
      if (input !== "" && !this.defined.has(input)) throw new Error(`GraphBuilder ${this.name}: ${opType} input ${i} ${JSON.stringify(input)} is not defined yet`);
    });
    const requested = options.outputs ?? 1;
    const outputs = typeof requested === "number" ? Array.from({ length: requested }, () => this.fresh(opType)) : [...requested];
    outputs.forEach((output) => this.define(output, `${opType} output`));
    this.nodes.push(nodeProto(opType, inputs, outputs, attributes, options.name, options.domain));
    return outputs;
  }

  /** A one-result node; `output` names the result (default: a fresh name). */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, output?: string): string {
    return this.node(opType, inputs, attributes, { outputs: output === undefined ? 1 : [output] })[0]!;
  }

  /** a + b, elementwise with NumPy broadcasting (as are sub, mul and div). */
  add(a: string, b: string, output?: string): string {
    return this.op("Add", [a, b], {}, output);
  }

  /** a − b. */
  sub(a: string, b: string, output?: string): string {
    return this.op("Sub", [a, b], {}, output);
  }

  /** a · b, elementwise. */
  mul(a: string, b: string, output?: string): string {
    return this.op("Mul", [a, b], {}, output);
  }

  /** a / b, elementwise. */
  div(a: string, b: string, output?: string): string {
    return this.op("Div", [a, b], {}, output);
  }

  /** Matrix product with NumPy broadcasting of the leading axes. */
  matMul(a: string, b: string, output?: string): string {
    return this.op("MatMul", [a, b], {}, output);
  }

  /** Rows (axis 0) or slices along `axis` of `data` picked by integer `indices`. */
  gather(data: string, indices: string, axis = 0, output?: string): string {
    return this.op("Gather", [data, indices], { axis }, output);
  }

  /** Reshape to `shape`: a list (0 copies the input's size on that axis, −1 infers one) or a shape value. */
  reshape(x: string, shape: readonly number[] | string, output?: string): string {
    return this.op("Reshape", [x, typeof shape === "string" ? shape : this.ints(shape)], {}, output);
  }

  /** Axes of `x` reordered: output axis i is input axis perm[i]. */
  transpose(x: string, perm: readonly number[], output?: string): string {
    return this.op("Transpose", [x], { perm }, output);
  }

  /** The tensors joined along `axis` (the others must agree; a size-0 tensor adds nothing, as an empty KV cache). */
  concat(values: readonly string[], axis: number, output?: string): string {
    return this.op("Concat", values, { axis }, output);
  }

  /** exp(x − max) / Σ exp(x − max) along one axis (opset ≥ 13 semantics: that axis alone). */
  softmax(x: string, axis = -1, output?: string): string {
    return this.op("Softmax", [x], { axis }, output);
  }

  /** Inserts size-1 axes at `axes`. */
  unsqueeze(x: string, axes: readonly number[], output?: string): string {
    return this.op("Unsqueeze", [x, this.ints(axes)], {}, output);
  }

  /** The shape of `x` as an int64 list, optionally only axes start … end − 1. */
  shape(x: string, start?: number, end?: number, output?: string): string {
    const attributes: Record<string, number> = {};
    if (start !== undefined) attributes.start = start;
    if (end !== undefined) attributes.end = end;
    return this.op("Shape", [x], attributes, output);
  }

  /** `x[starts:ends]` along `axes`, with constant bounds. */
  slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[], output?: string): string {
    return this.op("Slice", [x, this.ints(starts), this.ints(ends), this.ints(axes)], {}, output);
  }

  /** Converts the elements of `x` to `to`. */
  cast(x: string, to: ElementType, output?: string): string {
    return this.op("Cast", [x], { to: ONNX_DATA_TYPE[to] }, output);
  }

  /** `condition ? a : b`, elementwise with broadcasting. */
  where(condition: string, a: string, b: string, output?: string): string {
    return this.op("Where", [condition, a, b], {}, output);
  }

  /** (x − mean) / √(variance + ε) · γ + β over the last axis (opset 17's fused operator). */
  layerNormalization(x: string, gamma: string, beta: string, epsilon: number, output?: string): string {
    return this.op("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: float(epsilon) }, output);
  }

  /** The graph so far (inputs, initializers, nodes and declared outputs). */
  graph(): onnx.GraphProto {
    if (this.outputs.length === 0) throw new Error(`GraphBuilder ${this.name}: declare at least one output`);
    return onnx.GraphProto.create({
      name: this.name,
      input: [...this.inputs],
      output: [...this.outputs],
      initializer: [...this.initializers],
      node: [...this.nodes],
    });
  }

  /** The model (opset 17) around the graph. */
  model(metadata: ModelMetadata = {}): onnx.ModelProto {
    return modelProto(this.graph(), metadata);
  }

  /** The bytes of the `.onnx` file. */
  toBytes(metadata: ModelMetadata = {}): Uint8Array {
    return encodeModel(this.model(metadata));
  }

  /** Numbers of nodes, initializers and initializer values, for summaries. */
  get counts(): { nodes: number; initializers: number } {
    return { nodes: this.nodes.length, initializers: this.initializers.length };
  }
}
