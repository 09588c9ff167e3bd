/*
 * Text fields with a length limit (the title, the title tag, …) say how much of it is used
 * as the editor types, and say so when a paste was longer than the limit: the browser cuts
 * what goes past `maxlength` without a word.
 */
(() => {
  const describe = (input, note) => {
    const limit = input.maxLength;
    const used = input.value.length;
    note.textContent =
      used >= limit
        ? `${used} of ${limit} characters: that is the limit.`
        : `${used} of ${limit} characters.`;
  };

  const attach = (input) => {
    if (input.dataset.characterCount || input.maxLength <= 0) return;
    input.dataset.characterCount = "on";
    const note = document.createElement("p");
    note.className = "help character-count";
    note.setAttribute("aria-live", "polite");
    note.id = `${input.id}-character-count`;
    input.setAttribute(
      "aria-describedby",
      `${input.getAttribute("aria-describedby") || ""} ${note.id}`.trim(),
    );
    input.insertAdjacentElement("afterend", note);
    describe(input, note);
    input.addEventListener("input", () => describe(input, note));
    input.addEventListener("paste", (event) => {
      const pasted = (event.clipboardData || window.clipboardData).getData("text");
      const room = input.maxLength - input.value.length + (input.selectionEnd - input.selectionStart);
      if (pasted.length > room) {
        setTimeout(() => {
          note.textContent = `The text you pasted was ${pasted.length} characters; only ${room} fit, so the end was cut. Shorten it and check the end.`;
        });
      }
    });
  };

  const attachAll = () => {
    document
      .querySelectorAll("form[data-edit-form] input[type=text][maxlength]")
      .forEach(attach);
  };
  document.addEventListener("DOMContentLoaded", attachAll);
  document.addEventListener("w-formset:added", attachAll);
})();
