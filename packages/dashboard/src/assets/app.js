// @mqkit/dashboard — progressive enhancement only: every page works without this script.
// Live filtering of the overview table, and "select all" in the dead-letter browser.
(() => {
  for (const input of document.querySelectorAll('input[data-filter-table]')) {
    const table = document.getElementById(input.getAttribute('data-filter-table'));
    if (!table) continue;
    input.addEventListener('input', () => {
      const text = input.value.trim().toLowerCase();
      for (const row of table.tBodies[0]?.rows ?? []) {
        row.hidden = !(row.getAttribute('data-name') ?? '').toLowerCase().includes(text);
      }
    });
  }
  for (const all of document.querySelectorAll('input[data-select-all]')) {
    const form = all.closest('form');
    all.addEventListener('change', () => {
      for (const box of form?.querySelectorAll('input[name="ids"]') ?? [])
        box.checked = all.checked;
    });
  }
})();
