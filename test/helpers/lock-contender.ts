import { createInterface } from 'node:readline';
import { StateLock } from '../../src/local/lock';

/**
 * One would-be `npm start`, driven over stdin so a test can make several race for the same state dir:
 * "go <epoch ms>" waits for that moment (spinning, so every contender starts within microseconds of the
 * others), tries to take the lock and prints "won" or "lost: <message>"; "release" lets it go again.
 */
const [stateDir] = process.argv.slice(2);
let held: StateLock | undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

createInterface({ input: process.stdin }).on('line', (command) => {
  const [verb, at] = command.split(' ');
  if (verb === 'go') {
    // Bounded: the test asks for a moment a few dozen milliseconds ahead.
    while (performance.timeOrigin + performance.now() < Number(at));
    StateLock.acquire(stateDir).then(
      (lock) => {
        held = lock;
        say('won');
      },
      (error: Error) => say(`lost: ${error.message}`),
    );
  } else if (verb === 'release') {
    held?.release();
    held = undefined;
    say('released');
  }
});
say('ready');
