const url = 'http://127.0.0.1:48920';
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { roots: { listChanged: true }, experimental: { bulk: { items: Array.from({ length: 50000 }, (_, i) => ({ i, s: 'abcdefgh' })) } } }, clientInfo: { name: 'n', version: '1' } } });
const pid = Number(process.argv[2]);
import { readFileSync } from 'node:fs';
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
console.log('body MiB', (body.length / 1048576).toFixed(2), 'rss', rss().toFixed(1));
const t = performance.now();
for (let i = 0; i < 30; i++) {
  const r = await fetch(url + '/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
  await r.text();
  if (i % 10 === 9) console.log(i, 'rss', rss().toFixed(1), ((performance.now() - t) / (i + 1)).toFixed(0), 'ms/req');
}
