// Loaded into a bot process with --import: holds the program's event loop 60 ms at a time, as a
// busy machine or a long synchronous step does, so a test can see how signals fare meanwhile.
// Only in the program (src/main.ts), not in a launcher that may run it in a child process.
if (process.argv[1]?.endsWith("main.ts")) {
  setInterval(() => {
    const end = Date.now() + 60;
    while (Date.now() < end) {}
  }, 100).unref();
}
