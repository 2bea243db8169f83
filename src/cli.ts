#!/usr/bin/env node
import { limitHeapGrowth } from './runtime/heap-limits.js';

// Before anything else is loaded (see runtime/heap-limits.ts); the rest is imported only afterwards.
limitHeapGrowth();
await import('./cli-main.js');
