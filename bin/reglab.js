#!/usr/bin/env node
// The published entry point: runs the compiled CLI (built by `npm install` through `prepare`).
import { main } from '../dist/cli/main.js';

// main() reports every failure itself (one line, an exit code); this catch is a last resort.
main(process.argv).catch((err) => {
  console.error(`reglab: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
