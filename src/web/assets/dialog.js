// One modal <dialog> for confirmations and name prompts: real buttons a person (or a test)
// can click, instead of window.confirm.

const dialog = document.getElementById('ask');
const text = document.getElementById('ask-text');
const input = document.getElementById('ask-input');
const ok = document.getElementById('ask-ok');
const cancel = document.getElementById('ask-cancel');

let queue = Promise.resolve();

cancel?.addEventListener('click', (event) => {
  event.preventDefault();
  dialog.close('cancel');
});

/**
 * Asks a question in the page. Without `value` it is a confirmation and resolves to true or
 * false; with `value` the user edits a text field and it resolves to the text, or null when
 * cancelled. `select` chooses how much of the text is preselected (e.g. the name without extension).
 */
export function ask(options) {
  // One question at a time: a second one (say, a drop while a prompt is open) waits its turn.
  const answer = queue.then(() => show(options));
  queue = answer.catch(() => undefined);
  return answer;
}

function show({ question, value, okLabel = 'OK', danger = false, select }) {
  return new Promise((resolve) => {
    const prompting = value !== undefined;
    text.textContent = question;
    input.hidden = !prompting;
    input.required = prompting;
    input.value = prompting ? value : '';
    ok.textContent = okLabel;
    ok.classList.toggle('danger', danger);
    dialog.returnValue = '';
    dialog.addEventListener(
      'close',
      () => {
        const confirmed = dialog.returnValue === 'ok';
        if (!prompting) resolve(confirmed);
        else resolve(confirmed ? input.value.trim() : null);
      },
      { once: true },
    );
    dialog.showModal();
    if (prompting) {
      input.focus();
      input.setSelectionRange(select?.[0] ?? 0, select?.[1] ?? input.value.length);
    } else {
      ok.focus();
    }
  });
}
