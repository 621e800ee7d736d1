// A node:test reporter that writes one JSON line per skipped or todo test (name, file,
// reason), for scripts/run-tests.js: under CI any such line fails the run.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, skip, todo } = event.data;
    if (skip !== undefined) yield `${JSON.stringify({ kind: 'skip', name, file, reason: skip })}\n`;
    else if (todo !== undefined) yield `${JSON.stringify({ kind: 'todo', name, file, reason: todo })}\n`;
  }
}
