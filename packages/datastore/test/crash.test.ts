import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { localStore } from '../src/index.js'

const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))

// Five children run one after another, each writing thousands of fsynced or committed rounds:
// on the shared 2-core machine the file needs more than the package's 120 s.
t.setTimeout(400_000)

/**
 * Run the writer, SIGKILL it once it acknowledged `acks` rounds; return the last acknowledged
 * round. The writer stops by itself after `2 * acks + 100` rounds (the test then fails) and when
 * its stdin, a pipe from this process, closes: it dies with this process, even under kill -9.
 */
async function killDuringWrites(
  t: Test,
  path: string,
  durability: string,
  acks: number,
): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', writer, path, durability, String(2 * acks + 100)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  t.teardown(() => void child.kill('SIGKILL'))
  let last = -1
  let buffered = ''
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_c, s) => resolve(s)),
  )
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const l of lines) last = Number(l)
    if (last >= acks) child.kill('SIGKILL')
  })
  const signal = await exited
  if (signal !== 'SIGKILL') {
    throw new Error(`writer ended without being killed (${String(signal ?? child.exitCode)})`)
  }
  return last
}

for (const durability of ['sync', 'commit']) {
  t.test(
    `kill -9 during writes keeps every acknowledged write (durability '${durability}')`,
    async (t) => {
      const path = `${t.testdir()}/db`
      for (const round of [0, 1]) {
        // The second round reopens the same files, so recovery after a crash is tested twice.
        const acks = durability === 'commit' ? 2000 + round * 500 : 150 + round * 50
        const last = await killDuringWrites(t, path, durability, acks)
        t.ok(last >= acks, `round ${round}: writer acknowledged ${last + 1} rounds before the kill`)
        const store = localStore({ path })
        let missing = 0
        for (let i = 0; i <= last; i++) {
          const kv = await store.get(`crash/put/${i}`)
          if (!kv || kv.value.length !== 1024 || kv.value[0] !== i % 251) missing++
          for (let j = 0; j < 5; j++) {
            const b = await store.get(`crash/batch/${i}/${j}`)
            if (!b || b.value[0] !== (i + j) % 251) missing++
          }
        }
        t.equal(
          missing,
          0,
          `round ${round}: all ${(last + 1) * 6} acknowledged entries are present and intact`,
        )
        const counter = await store.get('crash/counter')
        t.ok(
          Number(new TextDecoder().decode(counter!.value)) >= last,
          'the CAS counter reached the last ack',
        )
        const highest = Math.max(...(await store.list('crash/')).map((kv) => kv.version))
        const next = await store.put('crash/after', new Uint8Array([1]))
        t.ok(next > highest, 'versions keep growing after recovery')
        await store.delete('crash/after')
        // The next round's writer starts from i = 0 again; its CAS chain needs a fresh counter.
        await store.delete('crash/counter')
        await store.close()
      }
    },
  )
}

const counter = fileURLToPath(new URL('./fixtures/local-counter.ts', import.meta.url))

/** Run the counter child: `n` CAS increments; resolves to the versions it got. */
function runCounter(path: string, durability: string, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', counter, path, durability, String(n)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve(JSON.parse(out) as number[])
        : reject(new Error(`counter exited ${code ?? signal}`)),
    )
  })
}

for (const durability of ['sync', 'commit']) {
  t.test(
    `two processes CAS-incrementing one local counter lose nothing (${durability})`,
    async (t) => {
      const path = `${t.testdir()}/db`
      const n = durability === 'commit' ? 2000 : 60
      const [a, b] = await Promise.all([
        runCounter(path, durability, n),
        runCounter(path, durability, n),
      ])
      const store = localStore({ path })
      t.teardown(() => store.close())
      t.equal(new TextDecoder().decode((await store.get('shared/counter'))!.value), String(2 * n))
      t.equal(new Set([...a, ...b]).size, 2 * n, 'every successful write got its own version')
    },
  )
}

// lmdb-js's LMDB resets the shared last-transaction counter while opening the files, without
// the writer lock (upstream ITS#9496): a commit made by another process in that window was
// forgotten and overwritten by the next write (a lost update, a version handed out twice, or
// MDB_BAD_TXN). Opening the store over and over while a child commits hits that window within
// a few hundred opens; the store's open lock keeps commits out of it.
t.test('opening the store while another process commits loses nothing (commit)', async (t) => {
  const path = `${t.testdir()}/db`
  const n = 5000
  let done = false
  const child = runCounter(path, 'commit', n).finally(() => (done = true))
  let opens = 0
  while (!done) {
    const store = localStore({ path, durability: 'commit' })
    await store.close()
    opens++
  }
  const versions = await child
  t.ok(opens > 0, `opened the store ${opens} times meanwhile`)
  const store = localStore({ path })
  t.teardown(() => store.close())
  t.equal(new TextDecoder().decode((await store.get('shared/counter'))!.value), String(n))
  t.equal(new Set(versions).size, n, 'every successful write got its own version')
})

// Issue 20: an orphaned writer kept writing after its test died (40 GB). The writer's stdin is
// a pipe from its parent; when the parent is killed (-9, no teardown), the pipe closes and the
// writer exits.
t.test('the writer dies with its parent, even when the parent is killed -9', async (t) => {
  const path = `${t.testdir()}/db`
  const parentScript = `
    const { spawn } = await import('node:child_process')
    const c = spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(writer)}, ${JSON.stringify(path)}, 'commit', '1000000'], { stdio: ['pipe', 'pipe', 'inherit'] })
    c.stdout.once('data', () => process.stdout.write(c.pid + '\\n'))
    // Bounded too: this process ends when the test process does.
    process.stdin.on('close', () => process.exit(4))
    process.stdin.resume()
  `
  const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let writerPid = 0
  t.teardown(() => {
    parent.kill('SIGKILL')
    if (writerPid > 0 && alive(writerPid)) process.kill(writerPid, 'SIGKILL')
  })
  writerPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)))
  })
  t.ok(alive(writerPid), `the writer (pid ${writerPid}) is writing`)
  const parentGone = new Promise((resolve) => parent.once('exit', resolve))
  parent.kill('SIGKILL')
  await parentGone
  // Wait for the condition, bounded: the writer notices the closed pipe within a round.
  const deadline = Date.now() + 60_000
  while (alive(writerPid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.notOk(alive(writerPid), 'the writer exited after its parent was killed')
})

/** Whether process `pid` still exists (and is not a zombie). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}
