// Starts `ferry serve` (or any ferry command that logs a "listening" line) as a child process and collects
// its JSON-line logs. `child.ready` resolves to the base URL once ferry listens; it rejects if ferry exits
// first or does not listen within `timeoutMs`.
import { spawn } from 'node:child_process';

export function spawnFerry(bin, args, { timeoutMs = 15_000, env } = {}) {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env }); // env: undefined inherits ours
  const logs = [];
  child.logs = logs;
  child.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry did not start:\n${logs.join('\n')}`)), timeoutMs);
    let buffer = '';
    child.stderr.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'listening') {
            clearTimeout(timer);
            resolve(`http://${entry.address}`);
          }
        } catch {}
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ferry exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return child;
}
