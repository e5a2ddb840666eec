const path = require('path');
const fs = require('fs');
const { execFileSync } = require('child_process');
const pkg = `@esbuild-ish/${process.platform}-${process.arch}`;
const bin = require.resolve(`${pkg}/bin/esbuild`);
fs.copyFileSync(bin, path.join(__dirname, 'bin', 'esbuild'));
const v = execFileSync(path.join(__dirname, 'bin', 'esbuild'), ['--version']).toString().trim();
if (v !== '0.20.0') throw new Error('version mismatch');
