// Input from stdin: the key of `alumia login` and the message of `alumia sessions post`.
import type { Io } from './context.js';
import { UsageError } from './exit.js';

/** Reads the key typed at a hidden prompt (nothing is echoed), or the first line of piped stdin. */
export async function promptKey(io: Io): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY) return (await readStdin(io)).split(/\r?\n/)[0]?.trim() ?? '';
  io.stderr.write('API key (input hidden): ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let key = '';
      stdin.on('data', (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return resolve(key.trim());
          if (ch === '\u0003') return reject(new UsageError('login cancelled'));
          if (ch === '\u007f' || ch === '\b') key = key.slice(0, -1);
          else if (ch >= ' ') key += ch;
        }
      });
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stdin.removeAllListeners('data');
    io.stderr.write('\n');
  }
}

export async function readStdin(io: Io): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += String(chunk);
  return text;
}
