#!/usr/bin/env bash
# The package as a user gets it: pack it, install the tarball into an empty
# project (from the npm cache where it can), and use it from TypeScript,
# from plain JavaScript and as a command. Run after `npm run build`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "pack.sh: $*" >&2; exit 1; }

cd "$repo"
[ -f dist/index.js ] && [ -f dist/cli/main.js ] || fail "dist/ is not built: run npm run build first"

# 1. What ships: dist/, the documents, README, LICENSE (and package.json).
npm pack --json --pack-destination "$work" > "$work/pack.json"
node - "$work/pack.json" <<'JS'
const [{ filename, files }] = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const allowed = /^(dist\/.+|docs\/[^/]+\.md|README\.md|LICENSE|package\.json)$/;
const stray = files.map((f) => f.path).filter((p) => !allowed.test(p));
if (stray.length) { console.error(`files that should not ship:\n  ${stray.join('\n  ')}`); process.exit(1); }
for (const must of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'README.md', 'LICENSE', 'docs/wire-format.md']) {
  if (!files.some((f) => f.path === must)) { console.error(`${must} is missing from the package`); process.exit(1); }
}
console.log(`${filename}: ${files.length} files, all under dist/, docs/*.md, README.md, LICENSE`);
JS

# 2. No devDependency is also a runtime dependency, and every runtime import is declared.
node - <<'JS'
const pkg = require('./package.json');
const both = Object.keys(pkg.dependencies ?? {}).filter((d) => d in (pkg.devDependencies ?? {}));
if (both.length) { console.error(`both dependencies and devDependencies: ${both.join(', ')}`); process.exit(1); }
JS

# 3. An empty project that installs the tarball, with @types/node and
#    TypeScript as a user would have them (the same versions as here).
tarball="$(node -p "require('$work/pack.json')[0].filename")"
mkdir "$work/app" && cd "$work/app"
cat > package.json <<JSON
{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }
JSON
ts_version="$(node -p "require('$repo/node_modules/typescript/package.json').version")"
types_version="$(node -p "require('$repo/node_modules/@types/node/package.json').version")"
npm install --prefer-offline --no-audit --no-fund --loglevel=error \
  "$work/$tarball" "typescript@$ts_version" "@types/node@$types_version" > /dev/null

# Only runtime dependencies came along: no test or build tooling.
for dev in vitest fast-check tsx typedoc; do
  [ ! -e "node_modules/$dev" ] || fail "$dev (a devDependency) was installed with the package"
done

# 4. TypeScript: the published types check, strictly, library checks included.
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
  "skipLibCheck": false, "noEmit": true, "types": ["node"] }, "include": ["check.ts"] }
JSON
cat > check.ts <<'TS'
import { DiagnosticsChannel, MembershipServer, TcpChanger, handleChangeRequests, type ClusterConfiguration, type Raft } from 'raft-membership';
const raft: Raft = { state: () => 'leader', leader: () => '', addVoter: async () => 2, removeServer: async () => 3 };
const server = new MembershipServer({ clusterName: 'demo' });
void handleChangeRequests(raft, server.requests);
const read: (c: TcpChanger) => Promise<ClusterConfiguration> = (c) => c.members('127.0.0.1:7000', 1_000);
const name: string = DiagnosticsChannel.ServerRequest;
export { read, name };
TS
npx --no-install tsc -p . || fail "the published types do not type-check"

# 5. Plain JavaScript: a server and a client round trip, then members.
cat > run.mjs <<'JS'
import { MembershipServer, TcpChanger, handleChangeRequests } from 'raft-membership';
const members = new Map();
const raft = {
  state: () => 'leader', leader: () => '',
  async addVoter(id, address) { members.set(id, address); return 2; },
  async removeServer(id) { members.delete(id); return 3; },
  configuration: () => [...members].map(([id, address]) => ({ id, address, role: 'voter' })),
};
const server = new MembershipServer();
const address = await server.listen(0);
const handling = handleChangeRequests(raft, server.requests);
server.serveConfiguration(raft);
const changer = new TcpChanger({ address: '127.0.0.1:7002' });
if ((await changer.join('n2', address, 5_000)) !== 2) throw new Error('join');
const { members: read } = await changer.members(address, 5_000);
if (read.length !== 1 || read[0].id !== 'n2') throw new Error('members');
changer.close();
await server.close();
await handling;
console.log('plain JavaScript: join and members over loopback work');
JS
node run.mjs || fail "the package does not run from plain JavaScript"

# 6. The command, as npx finds it.
npx --no-install raft-membership --help | grep -q '^Usage: raft-membership <command>' || fail "npx raft-membership --help"
code=0; npx --no-install raft-membership join --json > /dev/null || code=$?
[ "$code" -eq 64 ] || fail "raft-membership join with no options exited $code, not 64"
echo "pack.sh: the packed package installs, type-checks, runs, and its command works"
