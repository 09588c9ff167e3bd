// Filter the solution list by sector without a page reload. Without JavaScript the
// sector links lead to the sector pages, which list the same solutions.
(function () {
  var list = document.getElementById("solutions");
  var links = document.querySelectorAll("[data-filter]");
  var status = document.querySelector(".filter-status");
  if (!list || !links.length) return;
  function apply(slug) {
    var shown = 0;
    list.querySelectorAll(".card").forEach(function (card) {
      var match = !slug || (" " + card.dataset.sectors + " ").indexOf(" " + slug + " ") >= 0;
      card.hidden = !match;
      if (match) shown++;
    });
    links.forEach(function (link) {
      link.setAttribute("aria-current", link.dataset.filter === slug ? "true" : "false");
    });
    status.textContent = shown + " solution" + (shown === 1 ? "" : "s") + " shown";
  }
  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var slug = link.dataset.filter;
      history.replaceState(null, "", slug ? "#sector=" + slug : location.pathname);
      apply(slug);
    });
  });
  var initial = (location.hash.match(/^#sector=([\w-]+)$/) || [])[1];
  if (initial) apply(initial);
})();
