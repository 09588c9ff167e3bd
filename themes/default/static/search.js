// Pagefind's search UI, loaded only on the search page. /search/?q=words (the search box
// in every page's header) fills the box and runs the search.
window.addEventListener("DOMContentLoaded", function () {
  var message = document.querySelector("#search .no-script"); // for readers without JavaScript
  if (message) {
    message.remove();
  }
  var ui = new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    translations: { placeholder: "Search solutions, sectors and organisations" },
  });
  var input = document.querySelector("#search input");
  if (input) {
    input.setAttribute("aria-label", "Search the catalogue");
  }
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});
