/*
 * Wagtail 8 autosaves the editor in the background, and on a new page its first autosave
 * creates the page: every "Add page" form an editor opens and then leaves would stay in the
 * tree as a draft. So a new page is not autosaved: it is made when the editor first presses
 * "Save draft" or "Publish" (Wagtail still asks before they leave with unsaved changes).
 * From then on, on the page's edit form, autosave works as usual.
 */
document.addEventListener("w-autosave:save", (event) => {
  const form = event.target.closest("form") || event.target;
  const address = new URL(form.getAttribute("action") || location.href, location.href);
  if (/\/add\//.test(address.pathname)) event.preventDefault();
});
