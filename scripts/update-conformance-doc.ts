/**
 * Rewrites the case list of docs/conformance.md from the cases themselves
 * (`npm run conformance:doc`); test/conformance/doc.test.ts fails when it
 * is stale.
 */
import { updateCatalogFile } from '../src/conformance/catalog.js';

const changed = updateCatalogFile(new URL('../docs/conformance.md', import.meta.url));
process.stdout.write(changed ? 'docs/conformance.md: case list rewritten\n' : 'docs/conformance.md is up to date\n');
