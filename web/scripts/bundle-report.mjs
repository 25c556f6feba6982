#!/usr/bin/env node
// Gzip sizes of the built JavaScript, read from Vite's manifest: the entry's static import
// graph, what the first pages add to it, and each lazy route chunk. Fails when the first page a
// resident sees (entry + the sign-in page, or entry + the home page) needs more than the budget.
// Writes dist/.vite/bundle-report.json too.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 150
const dist = new URL('../dist/', import.meta.url).pathname
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'))

const gz = new Map()
function gzipKB(file) {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024)
  return gz.get(file)
}

/** Every JS file loaded (statically) when `key` is imported. */
function closure(key, seen = new Set()) {
  const chunk = manifest[key]
  if (!chunk || seen.has(chunk.file)) return seen
  seen.add(chunk.file)
  for (const dep of chunk.imports ?? []) closure(dep, seen)
  return seen
}

const sum = (files) => [...files].filter((f) => f.endsWith('.js')).reduce((n, f) => n + gzipKB(f), 0)
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry)
const entry = closure(entryKey)
const routeKey = (name) => Object.keys(manifest).find((k) => k.endsWith(`/${name}.tsx`) || k === `src/pages/${name}.tsx`)

const report = { budget_kb: BUDGET_KB, entry_kb: sum(entry), first_pages: {}, routes: {} }
for (const page of ['SignIn', 'Home']) {
  const all = closure(routeKey(page), new Set(entry))
  report.first_pages[page] = sum(all)
}
for (const [key, chunk] of Object.entries(manifest)) {
  if (!chunk.isDynamicEntry) continue
  const extra = [...closure(key)].filter((f) => !entry.has(f))
  report.routes[key.replace(/^src\//, '')] = sum(extra)
}

const kb = (n) => `${n.toFixed(1).padStart(6)} KB`
console.log(`\nJavaScript, gzip (budget for the first page: ${BUDGET_KB} KB)`)
console.log(`  entry (shell, router, query, API client)  ${kb(report.entry_kb)}`)
for (const [page, size] of Object.entries(report.first_pages)) {
  console.log(`  first page = entry + ${page.padEnd(19)} ${kb(size)}`)
}
console.log('  lazy chunks (beyond the entry):')
for (const [route, size] of Object.entries(report.routes).sort((a, b) => b[1] - a[1])) {
  console.log(`    ${route.padEnd(38)} ${kb(size)}`)
}
writeFileSync(join(dist, '.vite/bundle-report.json'), `${JSON.stringify(report, null, 2)}\n`)

const worst = Math.max(...Object.values(report.first_pages))
if (worst > BUDGET_KB) {
  console.error(`\nOver budget: the first page needs ${worst.toFixed(1)} KB of JavaScript (gzip), budget ${BUDGET_KB} KB.`)
  process.exit(1)
}
