/**
 * A node:test reporter that writes one JSON line per skipped test or suite ({ file, name, reason })
 * for scripts/runTests.ts to count; the people-facing output comes from the spec or TAP reporter beside it.
 */
interface TestEvent {
  type: string;
  data: { name: string; file?: string; skip?: string | boolean };
}

/** Yields `{"file","name","reason"}` lines for the skipped tests among the runner's events. */
export default async function* skipReporter(events: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const { type, data } of events) {
    if ((type === 'test:pass' || type === 'test:fail') && data.skip !== undefined && data.skip !== false) {
      yield `${JSON.stringify({ file: data.file ?? '', name: data.name, reason: data.skip === true ? '' : data.skip })}\n`;
    }
  }
}
