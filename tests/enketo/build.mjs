// Bundles page.js with enketo-core and enketo-transformer's browser build into one script beside
// page.html: `node build.mjs OUT_DIR`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, 'dist'));
const core = join(here, 'node_modules', 'enketo-core');
mkdirSync(out, { recursive: true });
await build({
    entryPoints: [join(here, 'page.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    outfile: join(out, 'page.bundle.js'),
    logLevel: 'warning',
    // What enketo-core's package.json maps for browsers (its "browser" field), with the test's own
    // configuration in place of enketo-core's.
    plugins: [{
        name: 'enketo-browser-map',
        setup(b) {
            const map = {
                'enketo/config': join(here, 'config.js'),
                'enketo/widgets': join(core, 'src/js/widgets.js'),
                'enketo/translator': join(core, 'src/js/fake-translator.js'),
                'enketo/dialog': join(core, 'src/js/fake-dialog.js'),
                'enketo/file-manager': join(core, 'src/js/file-manager.js'),
                'enketo/xpath-evaluator-binding': join(core, 'src/js/xpath-evaluator-binding.js'),
            };
            b.onResolve({ filter: /^enketo\// }, (args) => (map[args.path] ? { path: map[args.path] } : undefined));
        },
    }],
    // Only the Node.js build of enketo-transformer loads libxslt (for a preprocess step it is not given here).
    external: ['libxslt'],
    loader: { '.svg': 'text' },
});
copyFileSync(join(here, 'page.html'), join(out, 'page.html'));
console.log(`bundled into ${out}`);
