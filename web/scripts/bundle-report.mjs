#!/usr/bin/env node
// Gzip sizes of the built JavaScript, read from Vite's manifest: the entry's static import
// graph and, for every route, the JavaScript its first load needs (entry + its page's chunks +
// its layout's). Fails when a route needs more than its budget in bundle-budgets.json, or has
// none. Writes dist/.vite/bundle-report.json too.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const budgets = JSON.parse(readFileSync(new URL('../bundle-budgets.json', import.meta.url), 'utf8'))
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

// A page under admin/ loads inside the admin layout, itself a lazy chunk.
const layoutOf = (key) => (key.startsWith('src/pages/admin/') && !key.endsWith('/AdminLayout.tsx') ? 'src/pages/admin/AdminLayout.tsx' : null)

const report = { entry_kb: sum(entry), first_load_kb: {}, over_budget: [] }
for (const [key, chunk] of Object.entries(manifest)) {
  if (!chunk.isDynamicEntry || !key.startsWith('src/pages/')) continue
  const files = closure(key, new Set(entry))
  // What the page itself imports on render (the calendar's FullCalendar) is part of its load.
  for (const dynamic of chunk.dynamicImports ?? []) closure(dynamic, files)
  const layout = layoutOf(key)
  if (layout) closure(layout, files)
  const route = key.replace(/^src\/pages\//, '')
  report.first_load_kb[route] = sum(files)
  const budget = budgets.first_load_kb[route]
  if (budget === undefined || report.first_load_kb[route] > budget) {
    report.over_budget.push({ route, kb: report.first_load_kb[route], budget: budget ?? null })
  }
}

const kb = (n) => `${n.toFixed(1).padStart(6)} KB`
console.log('\nJavaScript a first load needs, gzip (budgets: web/bundle-budgets.json)')
console.log(`  entry (shell, router, query, API client)   ${kb(report.entry_kb)}`)
for (const [route, size] of Object.entries(report.first_load_kb).sort((a, b) => b[1] - a[1])) {
  console.log(`  ${route.padEnd(40)} ${kb(size)}  / ${budgets.first_load_kb[route] ?? '—'} KB`)
}
writeFileSync(join(dist, '.vite/bundle-report.json'), `${JSON.stringify(report, null, 2)}\n`)

for (const { route, kb: size, budget } of report.over_budget) {
  console.error(
    budget === null
      ? `\nNo budget for ${route}: add it to web/bundle-budgets.json.`
      : `\nOver budget: ${route} needs ${size.toFixed(1)} KB of JavaScript (gzip) on a first load, budget ${budget} KB.`,
  )
}
if (report.over_budget.length) process.exit(1)
