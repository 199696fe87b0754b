// Loaded before every test file (.taprc node-arg). V8 already knows where to write this
// process's coverage; removing the variable keeps the processes a test spawns (servers,
// CLIs run through tsx) from writing coverage that tap cannot map to the TypeScript source.
delete process.env.NODE_V8_COVERAGE;
