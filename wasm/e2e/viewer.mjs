// Drives the browser viewer in Debian's chromium (playwright-core) as a user would, and prints
// what it saw as JSON for the Rust test (cli/tests/viewer.rs) to check:
//   node wasm/e2e/viewer.mjs URL BUNDLE OUT_DIR QUERY
// - every request the page makes, and those after its own files were in (there must be none);
// - a fetch tried from the page once it is up (the CSP must refuse it);
// - the bundle opened through the "Open files" input, the entries read, then the entries the
//   query keeps, as the app counts them;
// - a Parquet download of the filtered entries, saved into OUT_DIR;
// - a screenshot, OUT_DIR/viewer.png; how long until the first histogram and until ready.
import { chromium } from "playwright-core";
import path from "node:path";

const [url, bundle, out, query] = process.argv.slice(2);
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

const t1 = Date.now();
await page.setInputFiles("#files", bundle);
let firstHistogramMs = null;
let status;
for (;;) {
  status = await page.evaluate(() => window.podsift.status());
  if (firstHistogramMs === null && (status.state === "ready" || (status.state === "loading" && status.bytes_done > 0))) {
    firstHistogramMs = Date.now() - t1;
  }
  if (status.state === "ready" || status.state === "failed") break;
  if (Date.now() - t1 > 300000) break;
  await page.waitForTimeout(50);
}
const readyMs = Date.now() - t1;
const loaded = status;
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

const panicked = await page.evaluate(() => window.podsift.panicked());
await browser.close();
console.log(JSON.stringify({
  startMs, firstHistogramMs, readyMs, loaded, filtered, parquet, fetchResult, panicked, memory,
  requests, console: console_,
}));
