// The Step page's tensors (ui/tensor_grid.py): draws the SVG that viz/picture.py made, shows a cell's value under
// the pointer and sends a click on a cell back to Python. Streamlit calls this function again with the new data
// at every stage (the element keeps its identity across reruns), so the drawing is replaced in place.
const SVG = "http://www.w3.org/2000/svg";

function decode(tile) {  // the drawn cells' values, row by row: float64 (exact) or float32 (7 digits)
  if (!tile.decoded) {
    const bytes = Uint8Array.from(atob(tile.values), (c) => c.charCodeAt(0));
    tile.decoded = tile.dtype === "f8" ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
  }
  return tile.decoded;
}

function number(v, exact) {  // as Python writes it for NaN and inf; 7 significant digits where not exact
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return exact ? String(v) : "≈ " + String(Number(v.toPrecision(7)));
}

function cellAt(data, event, svg) {  // {tile, r, c} under the pointer, or null
  const rect = svg.getBoundingClientRect();  // drawn at data.scale, or less where the page is narrower
  const x = (event.clientX - rect.left) / rect.width * data.width;
  const y = (event.clientY - rect.top) / rect.height * data.height;
  for (const tile of data.tiles) {
    const [left, top, width, height] = tile.box;
    if (x >= left && x < left + width && y >= top && y < top + height) {
      return {tile, r: Math.floor((y - top) / height * tile.rows), c: Math.floor((x - left) / width * tile.cols)};
    }
  }
  return null;
}

export default function ({data, parentElement, setTriggerValue}) {
  let box = parentElement.querySelector(".tensor-grid");
  if (!box) {
    box = document.createElement("div");
    box.className = "tensor-grid";
    box.style.position = "relative";
    parentElement.appendChild(box);
    box.addEventListener("mousemove", (event) => hover(box, event));
    box.addEventListener("mouseleave", () => hover(box, null));
    box.addEventListener("click", (event) => {
      const d = box.data, svg = box.querySelector("svg"), at = d && d.clickable && cellAt(d, event, svg);
      if (at) {
        setTriggerValue("cell", {tensor: at.tile.id, row: at.tile.ys[at.r], col: at.tile.xs[at.c], stamp: d.stamp});
      }
    });
  }
  box.data = data;
  const {width, height, scale} = data;
  box.innerHTML = `<svg xmlns="${SVG}" width="${Math.ceil(width * scale)}" height="${Math.ceil(height * scale)}"`
    + ` viewBox="0 0 ${width} ${height}" font-family="'Source Sans', sans-serif" fill="#31333F"`
    + ` style="max-width: 100%; height: auto${data.clickable ? "; cursor: pointer" : ""}">${data.svg}`
    + `<rect class="hovered" fill="none" stroke="#31333F" stroke-width="1" visibility="hidden"/></svg>`
    + `<div class="tip" style="position: absolute; display: none; pointer-events: none; z-index: 10;`
    + ` background: white; border: 1px solid #999; padding: 2px 6px; white-space: pre; font-size: ${13 * scale}px;`
    + ` line-height: 1.3; color: #31333F; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.2)"></div>`;
  box.dataset.drawn = data.stamp || "drawn";
}

function hover(box, event) {
  const d = box.data, svg = box.querySelector("svg"), tip = box.querySelector(".tip");
  const mark = svg && svg.querySelector(".hovered"), at = event && d && cellAt(d, event, svg);
  if (!at) {
    if (tip) tip.style.display = "none";
    if (mark) mark.setAttribute("visibility", "hidden");
    return;
  }
  const {tile, r, c} = at, [left, top, width, height] = tile.box;
  const value = number(decode(tile)[r * tile.cols + c], tile.exact);
  tip.textContent = `${tile.title}\n${tile.y_label} ${tile.ys[r]}, ${tile.x_label} ${tile.xs[c]}\n`
    + `${tile.value_word} ${value}${tile.after}`;
  tip.style.display = "block";
  const rect = svg.getBoundingClientRect(), x = event.clientX - rect.left, y = event.clientY - rect.top;
  tip.style.left = `${Math.max(0, Math.min(x + 12, rect.width - tip.offsetWidth))}px`;
  tip.style.top = `${y + 16}px`;
  const w = width / tile.cols, h = height / tile.rows;
  for (const [name, v] of [["x", left + c * w], ["y", top + r * h], ["width", w], ["height", h]]) {
    mark.setAttribute(name, v);
  }
  mark.setAttribute("visibility", "visible");
}
