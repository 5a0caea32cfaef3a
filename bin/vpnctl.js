#!/usr/bin/env node
'use strict';
// Run the compiled CLI when there is one (npm run build), else the TypeScript source through tsx.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'cli', 'main.js');
let cli;
if (existsSync(built)) {
  cli = require(built);
} else {
  require('tsx/cjs');
  cli = require(join(__dirname, '..', 'src', 'cli', 'main.ts'));
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
