// Copy the dist files our templates load from node_modules into static/vendor/ (git-ignored).
// Run with `npm run build` after `npm install`; templates reference them as {% static "vendor/..." %}.
//
// NOTE: source maps are copied too: Django's ManifestStaticFilesStorage (collectstatic) follows
// `sourceMappingURL` comments and fails when the referenced .map file is missing.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// [source inside node_modules, destination inside static/vendor, required]
const files = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css", true],
  ["bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/css/bootstrap.min.css.map", true],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js", true],
  ["bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/js/bootstrap.bundle.min.js.map", true],
  ["bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css", true],
  // The icon CSS loads ./fonts/bootstrap-icons.woff2 relative to itself.
  ["bootstrap-icons/font/fonts", "bootstrap-icons/fonts", true],
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js", true],
  ["htmx.org/dist/htmx.min.js.map", "htmx/htmx.min.js.map", false],
  // The portal's first-login tour (exposes window.driver.js.driver).
  ["driver.js/dist/driver.js.iife.js", "driver.js/driver.js.iife.js", true],
  ["driver.js/dist/driver.css", "driver.js/driver.css", true],
  // Charts (static/js/charts.js draws every [data-chart] with it, as SVG).
  ["echarts/dist/echarts.common.min.js", "echarts/echarts.common.min.js", true],
];

rmSync(vendor, { recursive: true, force: true });
let copied = 0;
for (const [from, to, required] of files) {
  const source = join(modules, from);
  if (!existsSync(source)) {
    if (required) {
      console.error(`missing ${source}: run \`npm install\` first`);
      process.exit(1);
    }
    continue;
  }
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
  console.log(`vendor/${to}`);
  copied += 1;
}
console.log(`${copied} entries copied to ${vendor}`);
