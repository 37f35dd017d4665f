// A reader that goes away early (`alumia agents list | head -1`, a pager quit before the end) makes the next
// write fail with EPIPE. Node reports that as an 'error' event on the stream, and unhandled it prints a stack
// trace and exits 1. git and gh die quietly of SIGPIPE there; Node ignores SIGPIPE, so this does it by hand:
// - stdout gone: what is left is for nobody, so stop at once, silently, with exit code 0. The reader chose to
//   stop reading, and `set -o pipefail` scripts running `alumia … | head -1` should not fail for that (which
//   rules out git's 141).
// - stderr gone: only hints and error messages are lost, so carry on; the exit code still tells how it went.
// Any other stream error is rethrown, as unexpected as it was before.
import type { Io } from './context.js';

const handled = new WeakSet<NodeJS.WriteStream>();

/** Installs the handlers once per stream, however often it is called. */
export function quietOnBrokenPipe(io: Pick<Io, 'stdout' | 'stderr'>, exit: (code: number) => void = (code) => process.exit(code)): void {
  const on = (stream: NodeJS.WriteStream, onEpipe: () => void) => {
    if (handled.has(stream)) return;
    handled.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      onEpipe();
    });
  };
  on(io.stdout, () => exit(0));
  on(io.stderr, () => {});
}
