// The file browser's message line: errors stay until dismissed, confirmations fade.

const INFO_MS = 4000;
const box = document.getElementById('message');
const text = document.getElementById('message-text');
let timer;

/** Shows `message` in words; `kind` is 'error' (stays) or 'info' (hides itself). */
export function showMessage(message, kind = 'error') {
  text.textContent = message;
  box.classList.toggle('info', kind === 'info');
  box.hidden = false;
  clearTimeout(timer);
  if (kind === 'info') timer = setTimeout(clearMessage, INFO_MS);
}

/** Hides the message line. */
export function clearMessage() {
  box.hidden = true;
}
