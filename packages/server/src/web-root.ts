// The browser app that ships inside @segkit/server: `npm run build` copies the web app's build into the package's
// web/ folder, so an installed `segkit serve` serves the same app as the repository.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of the bundled web app (next to dist/), or undefined when this copy of the server has none. */
export function bundledWebRoot(): string | undefined {
  const dir = fileURLToPath(new URL('../web/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : undefined;
}
