// What scripts/node.mjs runs for `chatq`, always on Node.js >= 22.18: set up module loading, then
// run the CLI. The CLI's imports resolve only after this module ran, hence the dynamic import.
import module from 'node:module';

// Type stripping and zod's modules are most of a command's start-up time: the compile cache
// (os.tmpdir()/node-compile-cache) makes every start after the first several times faster.
module.enableCompileCache();

// `@chatq/client` resolves to its TypeScript sources through its `chatq-source` export condition,
// as it does for the workspace's tests and type checks: nothing needs building after `npm install`.
module.registerHooks({
  resolve: (specifier, context, next) =>
    next(specifier, { ...context, conditions: [...context.conditions, 'chatq-source'] }),
});

// `chatq messages ID | head`: a reader that went away is not a failure of the command.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
