#!/usr/bin/env node
// The `duet` command: runs the built CLI (dist/ is made by `npm run build`).
'use strict';
require('../dist/main.js').main();
