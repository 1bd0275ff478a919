import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The file a function construct bundles: the TypeScript source in the repository, or the
 * compiled JavaScript beside it in the installed package (which ships no sources).
 * @param source the `.ts` file, relative to the calling module's `import.meta.url`
 */
export const sourceOrCompiled = (source: URL): string => {
  const path = fileURLToPath(source);
  return existsSync(path) ? path : path.replace(/\.ts$/, '.js');
};
