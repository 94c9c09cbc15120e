import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('runs its usage example as written', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = /## Usage[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'the Usage section has a ts block').toBeDefined();
    // The package name resolves to the source here, as it would to dist/ once installed.
    const source = example!.replace(/from 'raft-membership'/g, `from ${JSON.stringify(join(root, 'src/index.ts'))}`);
    const dir = mkdtempSync(join(tmpdir(), 'readme-'));
    try {
      const file = join(dir, 'example.mts');
      writeFileSync(file, source);
      const output = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 20_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      expect(output).toMatch(/n2 joined in the configuration at index 2: \[ \[ 'n2', '127\.0\.0\.1:7002' \] \]/);
      expect(output).toMatch(/n2 left: \[\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
