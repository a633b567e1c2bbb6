#!/usr/bin/env node
// `npm create duet@latest my-app -- --sample chat` runs `create-duet my-app --sample chat`:
// this is `duet new` under the name `npm create` looks for, with the same options and errors.
'use strict';
const { run } = require('@duet/cli');

run(['new', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
