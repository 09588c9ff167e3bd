/*
 * Wagtail 8 autosaves the editor in the background, but lets "Save draft" and "Publish"
 * submit while an autosave is still on its way, so that the two requests race each other.
 * Hold the submit until the autosave has answered, then send it.
 */
(() => {
  const autosaving = new WeakSet(); // forms with an autosave on its way
  const held = new WeakMap(); // form → the submit waiting for its autosave: { submitter }

  const submit = (form, submitter) => {
    // form.submit() leaves out the button that was pressed: carry its name, which says
    // which action (publish, save draft...) the editor asked for.
    if (submitter && submitter.name) {
      const action = document.createElement("input");
      action.type = "hidden";
      action.name = submitter.name;
      action.value = submitter.value;
      form.append(action);
    }
    HTMLFormElement.prototype.submit.call(form);
  };

  const answered = (form) => {
    autosaving.delete(form);
    const waiting = held.get(form);
    if (waiting) {
      held.delete(form);
      submit(form, waiting.submitter);
    }
  };

  document.addEventListener("w-autosave:save", (event) => {
    // Another listener may cancel this autosave; then no answer will come.
    queueMicrotask(() => {
      if (!event.defaultPrevented) autosaving.add(event.target);
    });
  });
  document.addEventListener("w-autosave:success", (event) => answered(event.target));
  document.addEventListener("w-autosave:error", (event) => answered(event.target));
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!autosaving.has(form) || event.defaultPrevented) return;
      event.preventDefault();
      held.set(form, { submitter: event.submitter });
      setTimeout(() => answered(form), 20000); // never hold an editor's submit for long
    },
    true,
  );
})();
