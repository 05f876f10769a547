#!/usr/bin/env node
// Create a package skeleton: node tools/scaffold.mjs <folder under packages/> <npm name> "<description>" [dep...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const [folder, name, description, ...deps] = process.argv.slice(2)
if (!folder || !name || !description) {
  console.error('usage: scaffold.mjs <folder> <@libnetwork/name> "<description>" [dep[@range]...]')
  process.exit(2)
}
const dir = join('packages', folder)
const depth = folder.split('/').length + 1
const up = '../'.repeat(depth)
mkdirSync(join(dir, 'src'), { recursive: true })
mkdirSync(join(dir, 'test'), { recursive: true })
const dependencies = {}
for (const d of deps) {
  const at = d.lastIndexOf('@')
  if (at > 0) dependencies[d.slice(0, at)] = d.slice(at + 1)
  else dependencies[d] = '*'
}
const pkg = {
  name,
  version: '0.0.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
  types: './dist/index.d.ts',
  files: ['dist', 'README.md'],
  sideEffects: false,
  engines: { node: '>=20' },
  repository: { type: 'git', url: 'git+https://example.invalid/libnetwork-ts.git', directory: dir },
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    lint: 'tsc -p tsconfig.json --noEmit && eslint .',
  },
  dependencies,
  tap: { 'allow-incomplete-coverage': true, 'disable-coverage': false },
}
if (!existsSync(join(dir, 'package.json')))
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
writeFileSync(
  join(dir, 'tsconfig.build.json'),
  JSON.stringify(
    {
      extends: `${up}tsconfig.base.json`,
      compilerOptions: { rootDir: 'src', outDir: 'dist' },
      include: ['src'],
    },
    null,
    2,
  ) + '\n',
)
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: `${up}tsconfig.base.json`,
      compilerOptions: { noEmit: true },
      include: ['src', 'test', 'bench'],
    },
    null,
    2,
  ) + '\n',
)
if (!existsSync(join(dir, 'src/index.ts'))) {
  writeFileSync(
    join(dir, 'src/index.ts'),
    `/**\n * @packageDocumentation\n * ${description}\n */\nexport {}\n`,
  )
}
if (!existsSync(join(dir, 'README.md'))) {
  writeFileSync(
    join(dir, 'README.md'),
    `# ${name}\n\n${description}\n\n\`\`\`sh\nnpm install ${name}\n\`\`\`\n\nWork in progress.\n`,
  )
}
console.log(`scaffolded ${dir}`)
