#!/usr/bin/env node
// Count test points in tap's saved results (.tap/test-results/**.tap of every package) and print
// one plain line, "N passed, N failed". Exit 1 when anything failed or nothing ran at all.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['packages', 'test-integration']
const resultDirs = []
function walk(dir, depth) {
  if (depth > 3 || !existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue
    const p = join(dir, name)
    if (!statSync(p).isDirectory()) continue
    if (name === '.tap') {
      const r = join(p, 'test-results')
      if (existsSync(r)) resultDirs.push(r)
    } else walk(p, depth + 1)
  }
}
for (const r of roots) walk(r, 0)

function files(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...files(p))
    else if (name.endsWith('.tap')) out.push(p)
  }
  return out
}

// A test point is an `ok`/`not ok` line that has no subtests of its own (a leaf), at any depth.
let passed = 0
let failed = 0
let skipped = 0
const failures = []
for (const dir of resultDirs) {
  for (const file of files(dir)) {
    const lines = readFileSync(file, 'utf8').split('\n')
    // A file with no test point at all was killed (its timeout) or crashed before its first test.
    if (!lines.some((l) => /^\s*(not ok|ok) \d+/.test(l))) {
      failed++
      failures.push(`${file}: no test result (killed or crashed before its first test)`)
      continue
    }
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)(not ok|ok) \d+( - (.*))?$/.exec(lines[i] ?? '')
      if (!m) continue
      const indent = m[1].length
      // A parent's result line follows its indented children; a leaf has none just before it.
      const prev = lines[i - 1] ?? ''
      if (prev.startsWith(' '.repeat(indent + 4)) && /^1\.\.\d+/.test(prev.trim())) continue
      const desc = m[4] ?? ''
      if (/# (SKIP|TODO)\b/i.test(desc)) {
        skipped++
        continue
      }
      if (m[2] === 'ok') passed++
      else {
        failed++
        failures.push(`${file}: ${desc}`)
      }
    }
  }
}
// Failures outside test points (lint, a crashed test file, a runner error) come from the caller.
const extraArg = process.argv.indexOf('--other-failures')
const other = extraArg > 0 ? Number(process.argv[extraArg + 1] ?? 0) : 0
if (other > 0 && failed === 0) {
  failed += other
  failures.push(
    `${other} failure(s) outside test points: lint, a crashed test file or the runner (see above)`,
  )
}
if (failures.length > 0) {
  console.log('failed test points:')
  for (const f of failures.slice(0, 50)) console.log(`  ${f}`)
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
