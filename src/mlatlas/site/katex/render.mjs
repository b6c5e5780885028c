// Render TeX to HTML + MathML with KaTeX, for the site build (one long-lived node process).
// Input: one JSON array on stdin of {tex, display}. Output: one JSON array of {html} or {error}.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const items = JSON.parse(input);
  const out = items.map(({ tex, display }) => {
    try {
      return {
        html: katex.renderToString(tex, {
          displayMode: display,
          output: "htmlAndMathml",
          throwOnError: true,
          strict: "ignore",
          trust: false,
        }),
      };
    } catch (err) {
      return { error: String(err.message || err) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
