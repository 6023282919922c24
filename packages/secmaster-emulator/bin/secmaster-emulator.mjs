#!/usr/bin/env node
// The `secmaster-emulator` command: the package ships TypeScript, so tsx's loader is registered
// before the CLI is imported (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
