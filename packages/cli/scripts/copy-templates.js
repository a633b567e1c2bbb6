#!/usr/bin/env node
// The build step that ships the samples inside @duet/cli, so `duet new` works when installed
// from npm: copies the repository's samples/ (without their tests, which use the repository's
// helpers, and without what git ignores) to templates/, with their catalogue. Runs after tsc.
'use strict';
const path = require('node:path');
const { writeTemplates } = require('../dist/samples/sample-source.js');

const packageDir = path.join(__dirname, '..');
const catalogue = writeTemplates(path.join(packageDir, '..', '..'), path.join(packageDir, 'templates'));
console.log(`@duet/cli: templates/ holds ${catalogue.samples.length} samples`);
