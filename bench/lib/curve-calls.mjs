// What every cost curve shares: a tool call that must succeed, and the "flat" verdict.

function structured(result, name) {
  if (result.isError) throw new Error(`${name} failed: ${result.content?.[0]?.text}`);
  return result.structuredContent;
}

/** A tool call's structured result; a tool error fails the curve. */
export async function call(client, name, args) {
  return structured(await client.callTool(name, args), name);
}

export const ratio = (large, small) => large / small;
/** A curve is "flat" when the large case costs at most 2× the small one. */
export const flat = (r) => (r <= 2 ? 'flat' : 'NOT FLAT');
