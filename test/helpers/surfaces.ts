import { mixedSurface } from './surfaces/mixed.js';
import { httpSurface, modernHttpSurface, restSurface, websocketSurface } from './surfaces/network.js';
import { stdioSurface } from './surfaces/stdio.js';
import type { Surface } from './surfaces/types.js';

/**
 * The surfaces the fault, load and hostile-input suites run against. Each lives in its own file
 * under surfaces/; the types they share (Surface, ServerUnderTest, ToolClient, ToolOutcome) are
 * in surfaces/types.ts.
 */
export type { ServerUnderTest, Surface, ToolClient, ToolOutcome } from './surfaces/types.js';
export { outcomeOf } from './surfaces/mcp-tool-client.js';
export { isAlive, rssKiB } from './process-stats.js';
export { httpSurface, mixedSurface, modernHttpSurface, restSurface, stdioSurface, websocketSurface };

/** Every surface on its own: the fault suite and the short load run loop over this list. */
export const surfaces: Surface[] = [stdioSurface, websocketSurface, httpSurface, restSurface];

/** The surfaces every tool and every tenancy shot goes through: each surface, and Streamable HTTP in both protocol eras. */
export const surfacesOfBothEras: Surface[] = [...surfaces, modernHttpSurface];
