// js/index.d.ts and js/node.d.ts type-check a typical embedding under strict TypeScript.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('the published types compile a typical embedding (tsc --strict)', () => {
  const tsc = `${root}/node_modules/typescript/bin/tsc`;
  const out = (() => {
    try {
      return execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
        '--moduleResolution', 'nodenext', `${root}/wasm-tests/fixtures/types-check.ts`], { encoding: 'utf8' });
    } catch (e) {
      return e.stdout + e.stderr;
    }
  })();
  expect(out).toBe('');
}, 60000);
