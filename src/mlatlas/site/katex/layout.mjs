// Lay out the topic graph with ELK's layered algorithm, for the site build (one node process).
// Input: one JSON array on stdin of ELK graphs ({id, layoutOptions, children, edges}).
// Output: the same graphs with x, y on every node and sections (start, bends, end) on every edge.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ELK = require("elkjs/lib/elk.bundled.js");
const elk = new ELK();

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const graphs = JSON.parse(input);
  const out = [];
  for (const g of graphs) {
    try {
      out.push(await elk.layout(g));
    } catch (err) {
      out.push({ error: String(err.message || err) });
    }
  }
  process.stdout.write(JSON.stringify(out));
});
