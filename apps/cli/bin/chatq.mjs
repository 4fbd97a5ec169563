#!/usr/bin/env node
// The `chatq` command (`npx chatq ...` in this repository). Plain JavaScript on purpose: npm links
// it as the bin, so it starts on whatever node is on PATH, possibly one too old for our TypeScript.
// It hands over to scripts/node.mjs, the repository's one runner: on Node.js >= 22.18 that imports
// the CLI in this very process (no second process on a current node); on an older node it runs a
// provisioned node 24 with the same arguments.
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('../../../scripts/node.mjs', import.meta.url));
const entry = fileURLToPath(new URL('../src/entry.ts', import.meta.url));
process.argv = [process.argv[0], runner, entry, ...process.argv.slice(2)];
await import(runner);
