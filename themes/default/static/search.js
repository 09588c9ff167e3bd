// Pagefind's search UI, loaded only on the search page. /search/?q=words (the search box
// in every page's header) fills the box and runs the search. A large site's index is in
// shards: /pagefind/shards.json names those to merge with the first.
function startSearch(shards) {
  var unavailable = document.querySelector("#search .search-unavailable"); // shown without JavaScript
  if (typeof PagefindUI === "undefined") {
    // a new site's first index is made a little after its first release goes live
    unavailable.querySelector(".no-script").hidden = true;
    unavailable.querySelector(".not-ready").hidden = false;
    return;
  }
  unavailable.remove();
  var ui = new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    mergeIndex: shards.map(function (key) {
      return { bundlePath: "/pagefind/shards/" + key + "/" };
    }),
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
}

window.addEventListener("DOMContentLoaded", function () {
  fetch("/pagefind/shards.json")
    .then(function (response) {
      return response.ok ? response.json() : {};
    })
    .catch(function () {
      return {};
    })
    .then(function (listed) {
      startSearch(listed.merge || []);
    });
});
