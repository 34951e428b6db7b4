import { fileURLToPath } from 'node:url';

/** The consoles' static files (plain HTML, CSS and ES modules; no build step). */
export const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
