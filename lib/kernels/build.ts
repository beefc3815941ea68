/**
 * Compiles the course's AssemblyScript kernels to the WebAssembly files committed next to them:
 * `npm run build:kernels` (or `npx tsx lib/kernels/build.ts`). The compiler (npm `assemblyscript`) is a
 * devDependency: students never need it, since the .wasm is committed; a test recompiles in memory and
 * checks that the committed bytes are up to date with the source.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Every kernel: AssemblyScript source → committed WebAssembly, relative to lib/kernels. */
export const KERNELS: readonly { source: string; output: string }[] = [
  { source: "mlp.as.ts", output: "mlp.wasm" },
  { source: "attention.as.ts", output: "attention.wasm" },
  { source: "layers.as.ts", output: "layers.wasm" },
  { source: "word2vec.as.ts", output: "word2vec.wasm" },
  { source: "adamw.as.ts", output: "adamw.wasm" },
];

/**
 * Compiler flags. SIMD for the f32x4 loops; the stub runtime because the kernels allocate nothing (the
 * host lays memory out); no assertions, since the host validates inputs before calling.
 */
export const ASC_FLAGS: readonly string[] = ["--enable", "simd", "--runtime", "stub", "--noAssert", "-O3"];

interface AscApi {
  main(
    argv: string[],
    options: {
      writeFile?: (name: string, contents: Uint8Array | string, baseDir: string) => void;
      stdout?: { write(chunk: string | Uint8Array): void };
      stderr?: { write(chunk: string | Uint8Array): void };
    },
  ): Promise<{ error: Error | null }>;
}

/** The WebAssembly bytes of one kernel source (a path relative to lib/kernels), compiled in memory. */
export async function compileKernel(source: string): Promise<Uint8Array> {
  // A variable specifier keeps the ESM-only compiler out of the CommonJS type resolution of lib/.
  const specifier = "assemblyscript/asc";
  let asc: AscApi;
  try {
    asc = ((await import(specifier)) as { default: AscApi }).default;
  } catch (error) {
    throw new Error(`compileKernel: the AssemblyScript compiler (npm assemblyscript, a devDependency) is missing: ${(error as Error).message}`);
  }
  let binary: Uint8Array | null = null;
  let log = "";
  const sink = { write: (chunk: string | Uint8Array) => void (log += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString()) };
  const { error } = await asc.main([path.join(__dirname, source), ...ASC_FLAGS, "--outFile", "kernel.wasm"], {
    writeFile: (name, contents) => {
      if (name.endsWith(".wasm") && typeof contents !== "string") binary = contents;
    },
    stdout: sink,
    stderr: sink,
  });
  if (error || binary === null) throw new Error(`compileKernel: ${source} does not compile:\n${log || error?.message}`);
  return binary;
}

/** Compiles every kernel and writes the .wasm files; returns their paths. */
export async function buildKernels(): Promise<string[]> {
  const written: string[] = [];
  for (const { source, output } of KERNELS) {
    const bytes = await compileKernel(source);
    const target = path.join(__dirname, output);
    fs.writeFileSync(target, bytes);
    written.push(target);
  }
  return written;
}

if (require.main === module) {
  buildKernels().then(
    (files) => files.forEach((file) => console.log(`wrote ${path.relative(process.cwd(), file)} (${fs.statSync(file).size} bytes)`)),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
