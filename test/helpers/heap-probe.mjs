// Preloaded (NODE_OPTIONS=--import) into a server process by test/soak.test.ts: on SIGUSR2 it runs two full
// garbage collections and writes process.memoryUsage() to $HEAP_PROBE_DIR/<pid>.json. Heap after a full GC
// is what a leak grows; RSS also moves with the allocator's and V8's own sizing, which made the soak flaky.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

const dir = process.env.HEAP_PROBE_DIR;
if (dir) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  process.on('SIGUSR2', () => {
    gc();
    gc();
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
  });
}
