// The package bundles for the browser and for workerd without pulling in Node
// modules (esbuild as the bundler, as a user's build would run it).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

async function bundle(entry, platform) {
  const out = await build({
    entryPoints: [`${root}/${entry}`], bundle: true, format: 'esm', platform, write: false, logLevel: 'silent',
    minify: true, external: ['*.wasm'],
  });
  expect(out.errors).toEqual([]);
  return out.outputFiles.map((f) => f.text).join('\n');
}

test('the web demo bundles for the browser with no node: imports', async () => {
  const code = await bundle('web-demo/demo.js', 'browser');
  expect(code).not.toMatch(/from\s*"node:|require\("node:/);
  expect(code).not.toContain('node:fs/promises"'); // the loader's file path is never a static import
  expect(code.length).toBeGreaterThan(10000);
});

test('a workerd worker bundles (platform neutral) with the wasm left to the runtime', async () => {
  const code = await bundle('examples/workerd/worker.js', 'neutral');
  expect(code).not.toMatch(/from\s*"node:|require\("node:/);
  expect(code).toMatch(/lash\.wasm/);
});

test('the Node entry keeps the file stores out of the browser entry', async () => {
  const browserCode = await bundle('js/index.js', 'browser');
  expect(browserCode).not.toContain('commits.log');
  await expect(build({ entryPoints: [`${root}/js/node.js`], bundle: true, platform: 'browser', write: false, logLevel: 'silent' }))
    .rejects.toThrow(/node:/); // node.js is Node-only by design
});
