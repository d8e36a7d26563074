/**
 * Between tests, one turn of the event loop through its I/O phase. Vitest's worker waits at most
 * 60 s for the runner's reply to each progress report, and Node runs expired timers before it
 * reads replies: a file of synchronous tests (the consensus simulator's) that never reaches the
 * I/O phase for a minute fails the run although every test passed.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
