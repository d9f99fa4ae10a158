// podsift's browser viewer: starts the app (WebAssembly, from podsift_wasm_bg.js as a string, so
// that no fetch is needed and the page's CSP can forbid every connection), hands it the bytes of
// files opened or dropped (folders walked), and downloads what it exports. window.podsift is
// for the end-to-end test and for scripting from the console.
import init, { WebHandle } from "./podsift_wasm.js";
import { WASM } from "./podsift_wasm_bg.js";

// One character per byte (see wasm/build.sh).
function decode(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

await init({ module_or_path: decode(WASM) });
const handle = new WebHandle();
await handle.start(document.getElementById("podsift"));

// Bundles handed to the app so far (a test waits for the next one to be ready).
let opened = 0;

async function open(files) {
  if (files.length === 0) return;
  for (const [path, file] of files) {
    handle.add_file(path, new Uint8Array(await file.arrayBuffer()));
  }
  handle.open_added();
  opened++;
}

for (const id of ["files", "folder"]) {
  const input = document.getElementById(id);
  input.addEventListener("change", async () => {
    await open([...input.files].map((f) => [f.webkitRelativePath || f.name, f]));
    input.value = "";
  });
}

// Dropped folders are walked with the File and Directory Entries API.
function entryFiles(entry, prefix) {
  return new Promise((resolve) => {
    if (entry.isFile) {
      entry.file((f) => resolve([[prefix + entry.name, f]]), () => resolve([]));
      return;
    }
    const reader = entry.createReader();
    const all = [];
    const more = () =>
      reader.readEntries(async (batch) => {
        if (batch.length === 0) {
          const nested = await Promise.all(all.map((e) => entryFiles(e, prefix + entry.name + "/")));
          resolve(nested.flat());
        } else {
          all.push(...batch);
          more();
        }
      }, () => resolve([]));
    more();
  });
}

const drop = document.getElementById("drop");
// Capture, so that the canvas (eframe) does not take the drop itself.
window.addEventListener("dragover", (e) => { e.preventDefault(); e.stopPropagation(); drop.hidden = false; }, true);
window.addEventListener("dragleave", (e) => { if (!e.relatedTarget) drop.hidden = true; }, true);
window.addEventListener("drop", async (e) => {
  e.preventDefault();
  e.stopPropagation();
  drop.hidden = true;
  const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  const files = entries.length
    ? (await Promise.all(entries.map((en) => entryFiles(en, "")))).flat()
    : [...e.dataTransfer.files].map((f) => [f.name, f]);
  await open(files);
}, true);

// Exports come back as downloads.
setInterval(() => {
  let d;
  while ((d = handle.take_download())) {
    const url = URL.createObjectURL(new Blob([d.bytes], { type: d.media_type }));
    const a = document.createElement("a");
    a.href = url;
    a.download = d.name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    d.free();
  }
}, 200);

// `podsift serve PATH` preloads PATH: the page fetches it from the server it came from (the
// server allows its own origin in the CSP for that, and only then).
if (document.querySelector('meta[name="podsift-preload"]')) {
  const list = await (await fetch("preload/list.json")).json();
  for (const [k, f] of list.entries()) {
    const bytes = await (await fetch(`preload/${k}`)).arrayBuffer();
    handle.add_file(f.path, new Uint8Array(bytes));
  }
  handle.open_added();
  opened++;
}

window.podsift = {
  status: () => JSON.parse(handle.status()),
  query: (q) => handle.set_query(q),
  export: (format) => handle.export(format),
  panicked: () => handle.has_panicked(),
  memoryBytes: () => handle.memory_bytes(),
  opened: () => opened,
};
document.body.dataset.ready = "1";
