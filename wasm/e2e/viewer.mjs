// Drives the browser viewer in Debian's chromium (playwright-core) as a user would, and prints
// what it saw as JSON for the Rust test (cli/tests/viewer.rs) to check:
//   node wasm/e2e/viewer.mjs URL BUNDLE OUT_DIR QUERY [FOLDER]
// - every request the page makes, and those after its own files were in (there must be none);
// - a fetch tried from the page once it is up (the CSP must refuse it);
// - the bundle opened through the "Open files" input, the entries read, then the entries the
//   query keeps, as the app counts them;
// - a Parquet download of the filtered entries, saved into OUT_DIR;
// - a screenshot, OUT_DIR/viewer.png; how long until the first histogram (the first entries
//   counted) and until ready;
// - with FOLDER: the folder opened through the "Open folder" input, then dropped on the page
//   (a drop of a folder, as the File and Directory Entries API gives it), and the entries read
//   each time.
import { chromium } from "playwright-core";
import path from "node:path";
import fs from "node:fs";

const [url, bundle, out, query, folder] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
  ],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
const requests = [];
let phase = "loading";
page.on("request", (r) => requests.push({ phase, url: r.url() }));
const console_ = [];
page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
page.on("pageerror", (e) => console_.push(`pageerror: ${e.message}`));

// On a failure, say what the page said.
async function fail(what, e) {
  console.error(`${what}: ${e}\n${console_.join("\n")}`);
  await browser.close();
  process.exit(1);
}

const t0 = Date.now();
await page.goto(url);
await page
  .waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: 120000 })
  .catch((e) => fail("the page did not start", e));
const startMs = Date.now() - t0;
phase = "after-load";

// The CSP forbids connections, even to the page's own server.
const fetchResult = await page.evaluate(async () => {
  try {
    await fetch(location.href + "?probe");
    return "allowed";
  } catch (e) {
    return "refused";
  }
});

// How long the page goes without drawing while it loads: a frame callback notes each gap
// between frames (the app reads a step a frame, so a long gap is a frozen page).
await page.evaluate(() => {
  const gaps = { longest: 0, at: 0, over100: 0, over250: 0, frames: 0, top: [], start: performance.now() };
  let last = performance.now();
  const tick = (now) => {
    const gap = now - last;
    if (gap > gaps.longest) {
      gaps.longest = gap;
      gaps.at = last - gaps.start;
    }
    if (gap > 100) gaps.over100 += 1;
    if (gap > 250) {
      gaps.over250 += 1;
      gaps.top.push([Math.round(last - gaps.start), Math.round(gap)]);
      gaps.top.sort((a, b) => b[1] - a[1]);
      gaps.top.length = Math.min(gaps.top.length, 8);
    }
    gaps.frames += 1;
    last = now;
    if (!gaps.stopped) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__gaps = gaps;
});
const t1 = Date.now();
await page.setInputFiles("#files", bundle);
let firstHistogramMs = null;
let listedMs = null;
let status;
for (;;) {
  status = await page.evaluate(() => window.podsift.status());
  if (firstHistogramMs === null && (status.state === "ready" || (status.state === "loading" && status.entries > 0))) {
    firstHistogramMs = Date.now() - t1;
  }
  if (listedMs === null && status.state !== "empty" && !(status.state === "loading" && status.opening)) {
    listedMs = Date.now() - t1;
  }
  if (status.state === "ready" || status.state === "failed") break;
  if (Date.now() - t1 > 300000) break;
  await page.waitForTimeout(50);
}
const readyMs = Date.now() - t1;
const loaded = status;
// One more frame after ready, so a gap that ended the load is counted.
await page.waitForTimeout(100);
const frameGaps = await page.evaluate(() => {
  window.__gaps.stopped = true;
  const { longest, at, over100, over250, frames, top } = window.__gaps;
  return { longestMs: Math.round(longest), atMs: Math.round(at), over100, over250, frames, top };
});
const memory = await page.evaluate(() => ({
  wasm: window.podsift.memoryBytes(),
  js: performance.memory ? performance.memory.usedJSHeapSize : null,
}));

await page.evaluate((q) => window.podsift.query(q), query);
await page.waitForTimeout(300);
const filtered = await page.evaluate(() => window.podsift.status());
await page.screenshot({ path: path.join(out, "viewer.png") });

const [download] = await Promise.all([
  page.waitForEvent("download", { timeout: 60000 }),
  page.evaluate(() => window.podsift.export("parquet")),
]);
const parquet = path.join(out, download.suggestedFilename());
await download.saveAs(parquet);

// Queries over the whole bundle, timed (a word is looked for in every message, a field in every
// entry's fields): what a search costs once the table is built.
const searches = [];
for (const q of ["timeout", "status:>=500", "level:error"]) {
  const t = Date.now();
  await page.evaluate((q) => window.podsift.query(q), q);
  const s = await page.evaluate(() => window.podsift.status());
  searches.push({ query: q, ms: Date.now() - t, shown: s.shown, error: s.error });
}

// Waits for the next bundle handed to the app to be read; its status.
async function nextReady(before) {
  const t = Date.now();
  for (;;) {
    const [opened, s] = await page.evaluate(() => [window.podsift.opened(), window.podsift.status()]);
    if (opened > before && (s.state === "ready" || s.state === "failed")) return s;
    if (Date.now() - t > 120000) return { state: "timeout", last: s };
    await page.waitForTimeout(50);
  }
}

let folderInput = null;
let folderDrop = null;
if (folder) {
  let before = await page.evaluate(() => window.podsift.opened());
  await page.setInputFiles("#folder", folder);
  folderInput = await nextReady(before);

  // A folder dropped on the page: the drop event's items give directory entries, which the
  // page walks (readEntries in batches, file()). Here they are built from the folder's files.
  const files = [];
  const walk = (dir, rel) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (fs.statSync(p).isDirectory()) walk(p, r);
      else files.push([r, fs.readFileSync(p).toString("base64")]);
    }
  };
  walk(folder, path.basename(folder));
  before = await page.evaluate(() => window.podsift.opened());
  await page.evaluate((files) => {
    const root = { name: "", dirs: new Map(), files: [] };
    for (const [rel, b64] of files) {
      const parts = rel.split("/");
      let d = root;
      for (const p of parts.slice(0, -1)) {
        if (!d.dirs.has(p)) d.dirs.set(p, { name: p, dirs: new Map(), files: [] });
        d = d.dirs.get(p);
      }
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      d.files.push(new File([bytes], parts[parts.length - 1]));
    }
    const entry = (d) => ({
      isFile: false,
      isDirectory: true,
      name: d.name,
      createReader() {
        // Two batches, then an empty one, as Chromium's readEntries gives large folders.
        const all = [...[...d.dirs.values()].map(entry), ...d.files.map((f) => ({
          isFile: true, isDirectory: false, name: f.name, file: (ok) => ok(f),
        }))];
        const batches = [all.slice(0, 2), all.slice(2), []];
        return { readEntries: (ok) => setTimeout(() => ok(batches.shift() || []), 0) };
      },
    });
    const top = [...root.dirs.values()][0];
    const dataTransfer = { items: [{ webkitGetAsEntry: () => entry(top) }], files: [] };
    const ev = new Event("drop", { bubbles: true, cancelable: true });
    Object.defineProperty(ev, "dataTransfer", { value: dataTransfer });
    window.dispatchEvent(ev);
  }, files);
  folderDrop = await nextReady(before);
}

const panicked = await page.evaluate(() => window.podsift.panicked());
// After the query and the export: the module's memory (it never shrinks, so this is its peak)
// and the peak resident memory of the page's renderer process (Linux), the browser's own
// part of the page included.
memory.wasmAtEnd = await page.evaluate(() => window.podsift.memoryBytes());
memory.rendererPeak = rendererPeak();
await browser.close();
/** The largest peak resident set (VmHWM) among the renderer processes, in bytes. */
function rendererPeak() {
  let peak = null;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("--type=renderer")) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (hwm) peak = Math.max(peak ?? 0, Number(hwm[1]) * 1024);
    } catch {
      // A process that ended meanwhile.
    }
  }
  return peak;
}

console.log(JSON.stringify({
  startMs, listedMs, firstHistogramMs, readyMs, frameGaps, loaded, filtered, parquet, fetchResult, panicked, memory,
  folderInput, folderDrop, searches,
  requests, console: console_,
}));
