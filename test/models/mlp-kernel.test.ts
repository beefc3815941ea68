import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { compileKernel, KERNELS } from "../../lib/kernels/build";

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, 16);

for (const { source, output } of KERNELS) {
  test(`lib/kernels/${output} is up to date with ${source} (npm run build:kernels)`, async () => {
    const committed = fs.readFileSync(path.join(__dirname, "../../lib/kernels", output));
    const rebuilt = await compileKernel(source);
    assert.ok(
      Buffer.from(rebuilt).equals(committed),
      `lib/kernels/${output} (${committed.length} bytes, sha256 ${sha(committed)}) differs from a fresh build of ${source} ` +
        `(${rebuilt.length} bytes, sha256 ${sha(rebuilt)}): run npm run build:kernels and commit the .wasm`,
    );
  });
}
