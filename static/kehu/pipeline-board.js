/* Pipeline board (sales/pipeline.html): drag a card onto a column. */
(function () {
  // Drag a card onto a column: an htmx POST to the card's move URL, the board comes back.
  let dragged = null;
  document.addEventListener("dragstart", (e) => {
    const card = e.target.closest && e.target.closest("[data-move-url]");
    if (card) { dragged = card; e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", card.dataset.moveUrl); }
  });
  document.addEventListener("dragover", (e) => {
    const col = e.target.closest && e.target.closest("[data-stage]");
    if (col && dragged) { e.preventDefault(); col.classList.add("kehu-over"); }
  });
  document.addEventListener("dragleave", (e) => {
    const col = e.target.closest && e.target.closest("[data-stage]");
    if (col) col.classList.remove("kehu-over");
  });
  document.addEventListener("drop", (e) => {
    const col = e.target.closest && e.target.closest("[data-stage]");
    if (!col || !dragged) return;
    e.preventDefault();
    col.classList.remove("kehu-over");
    const card = dragged; dragged = null;
    if (card.dataset.stage === col.dataset.stage) return;
    const values = {stage: col.dataset.stage};
    if (col.dataset.lost) {
      const reason = window.prompt(col.dataset.lostPrompt || "Lost reason");
      if (reason === null) return;
      values.lost_reason = reason;
    }
    const filters = document.getElementById("board-filters");
    if (filters) new FormData(filters).forEach((v, k) => { if (v) values[k] = v; });
    htmx.ajax("POST", card.dataset.moveUrl, {source: card, target: "#board", swap: "outerHTML", values: values});
  });
})();
