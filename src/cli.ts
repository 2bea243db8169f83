#!/usr/bin/env node
import { limitHeapGrowth } from './heap-limits.js';

// Before anything else is loaded (see heap-limits.ts); the rest is imported only afterwards.
limitHeapGrowth();
await import('./cli-main.js');
