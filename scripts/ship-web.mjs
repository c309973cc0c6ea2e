// After the web app's build: copies packages/web/dist into packages/server/web, the folder @segkit/server ships
// (its package.json "files"), so that an installed `segkit serve` serves the app.
import { cpSync, existsSync, rmSync } from 'node:fs';

const from = new URL('../packages/web/dist/', import.meta.url);
const to = new URL('../packages/server/web/', import.meta.url);
if (!existsSync(new URL('index.html', from))) {
  console.error('packages/web/dist/index.html is missing: the web build did not run');
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log('copied the web app into packages/server/web/');
