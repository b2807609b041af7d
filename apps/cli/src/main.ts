#!/usr/bin/env node
// tsyringe needs the Reflect polyfill before it loads: first import of the app.
import 'reflect-metadata';
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
