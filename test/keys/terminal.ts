/** Scripted stand-ins for a terminal, for password prompt tests. */
import { PassThrough, Writable } from 'node:stream';

/** A stand-in terminal: typing is scripted, raw mode is recorded. */
export class FakeTty extends PassThrough {
  isTTY = true;
  isRaw = false;
  rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    this.rawModes.push(mode);
    return this;
  }
}

/** Output that types the next scripted answer whenever a prompt is shown. */
export function scriptedTerminal(answers: string[]): {
  input: FakeTty;
  output: Writable;
  shown: () => string;
} {
  const input = new FakeTty();
  let shown = '';
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      shown += text;
      if (text.endsWith(': ') && answers.length > 0) {
        const next = answers.shift()!;
        setImmediate(() => input.write(next));
      }
      done();
    },
  });
  return { input, output, shown: () => shown };
}
