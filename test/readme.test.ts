import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const usage = readme.slice(readme.indexOf('## Usage'), readme.indexOf('\n## ', readme.indexOf('## Usage') + 1));

/** The first code block of `language` in the Usage section. */
function example(language: 'ts' | 'js'): string {
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(usage)?.[1];
  expect(block, `the Usage section has a ${language} block`).toBeDefined();
  return block!;
}

/** Runs an example as its own module, the package name resolving to the source (as it would to dist/ once installed). */
async function runExample(source: string, file: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'readme-'));
  try {
    const path = join(dir, file);
    writeFileSync(path, source.replace(/from 'raft-membership'/g, `from ${JSON.stringify(join(root, 'src/index.ts'))}`));
    return await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', path], { cwd: root, timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README', () => {
  it('starts with the contributor commands, then how to install the package', () => {
    const lines = readme.split('\n');
    expect(lines.slice(0, 6).join('\n')).toMatch(/^# raft-membership\n\n```sh\nnpm install && npm run demo +# .+\nnpm install && npm test +# .+\n```$/);
    const install = readme.indexOf('npm install raft-membership');
    expect(install, 'the README says how to install the package').toBeGreaterThan(0);
    expect(install).toBeLessThan(readme.indexOf('## Usage'));
  });

  it('says what address a joining server gives the cluster before its example', () => {
    const before = usage.slice(0, usage.indexOf('```'));
    expect(before).toMatch(/\*\*`address`\*\*: the one\s+port where its own `MembershipServer` listens/);
  });

  it('states the Node versions that package.json requires', () => {
    const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(readme).toContain(`\`engines\`: \`${engines.node}\``);
  });

  it('runs its TypeScript and plain JavaScript usage examples as written, with the same result', async () => {
    const outputs = await Promise.all([runExample(example('ts'), 'example.mts'), runExample(example('js'), 'example.mjs')]);
    for (const output of outputs) {
      expect(output).toMatch(/^n2 joined in the configuration at index 2: \[ \[ 'n2', '127\.0\.0\.1:\d+' \] \]\nn2 left: \[\]\n$/);
    }
    const samePorts = (text: string): string => text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
    expect(samePorts(outputs[1]!)).toBe(samePorts(outputs[0]!));
  });

  it('gives the plain JavaScript example no TypeScript', () => {
    expect(example('js')).not.toMatch(/\btype\b|: (string|Raft)\b|<string, string>/);
  });
});

describe('README errors', () => {
  it('names every error class the package exports, with its code', async () => {
    const api = (await import('../src/index.js')) as Record<string, unknown>;
    const errors = Object.entries(api).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error);
    expect(errors.length).toBeGreaterThan(20);
    const missing = errors.filter(([name]) => !readme.includes(`\`${name}\``)).map(([name]) => name);
    expect(missing, 'error classes the README does not name').toEqual([]);
    const codes = errors
      .filter(([name]) => name !== 'MembershipError' && name !== 'ProtocolError')
      .map(([name, value]) => [name, (Reflect.construct(value as new (...args: unknown[]) => { code: string }, ['x', 'y', 'z']) as { code: string }).code] as const);
    const unnamed = codes.filter(([, code]) => !readme.includes(`\`${code}\``) && !/^ERR_(FRAME_TOO_LARGE|EMPTY_FRAME|MALFORMED_FRAME|INVALID_MESSAGE|BAD_PREAMBLE)$/.test(code));
    expect(unnamed, 'codes the README does not give').toEqual([]);
  });
});
