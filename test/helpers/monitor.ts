import { connect, type Socket } from 'node:net';

/** One command as MONITOR reports it: the client's address and the command's arguments, decoded. */
export interface MonitoredCommand {
  source: string;
  args: string[];
}

const escapes: Record<string, number> = { '\\': 0x5c, '"': 0x22, n: 10, r: 13, t: 9, a: 7, b: 8 };

/**
 * Reads one MONITOR line, `+<time> [<db> <address>] "arg" "arg" ...`. Redis quotes each argument
 * as sdscatrepr does (\\, \", \n, \r, \t, \a, \b, and \xHH for any other byte outside printable
 * ASCII), so an argument may hold quotes and spaces; ioredis's own monitor parser splits on
 * `" "` and garbles such arguments, hence this reader.
 */
export function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const header = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] /.exec(line);
  if (!header) return undefined;
  const args: string[] = [];
  let i = header[0].length;
  while (i < line.length) {
    if (line[i] !== '"') throw new Error(`MONITOR line: expected a quote at ${i}: ${line}`);
    const bytes: number[] = [];
    for (i++; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`MONITOR line: unterminated argument: ${line}`);
      if (line[i] !== '\\') {
        bytes.push(line.charCodeAt(i));
        continue;
      }
      const next = line[++i]!;
      if (next === 'x') {
        bytes.push(parseInt(line.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        const byte = escapes[next];
        if (byte === undefined) throw new Error(`MONITOR line: unknown escape \\${next}: ${line}`);
        bytes.push(byte);
      }
    }
    args.push(Buffer.from(bytes).toString('utf8'));
    i += 2; // the closing quote and the space before the next argument
  }
  return { source: header[1]!, args };
}

/** Watches every command a Redis runs, through a MONITOR connection of its own. */
export async function monitorCommands(host: string, port: number, onCommand: (command: MonitoredCommand) => void): Promise<{ close(): void }> {
  const socket: Socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // Bytes, not text: a line is decoded only once whole (MONITOR escapes everything outside ASCII).
  let pending = '';
  let ready: () => void;
  const confirmed = new Promise<void>((resolve) => (ready = resolve));
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    while ((end = pending.indexOf('\r\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (line === '+OK') ready();
      else {
        const command = parseMonitorLine(line);
        if (command) onCommand(command);
      }
    }
  });
  socket.write('MONITOR\r\n');
  await confirmed;
  return { close: () => socket.destroy() };
}
